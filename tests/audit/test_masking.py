"""Names and numbers masked by role; ID numbers exist only as a keyed hash and last four."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kernel.masking import Masker, Role, mask_id_number, mask_name, mask_person_id, mask_phone


def test_masks() -> None:
    assert mask_name("王小明") == "王**"
    assert mask_name("Wang Wei") == "W*** W**"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_person_id("2021001234") == "20******34"
    assert mask_id_number("123X") == "*" * 14 + "123X"


def test_roles() -> None:
    assert Masker(Role.ADMIN).phone("13812345678") == "13812345678"
    assert Masker("auditor").name("王小明") == "王小明"
    assert Masker("auditor").phone("13812345678") == "138****5678"
    assert Masker("guard").person_id("2021001") == "20***01"
    assert Masker("report").name("王小明") == "王**"
    assert Masker("report").name(None) is None


@given(st.text(min_size=1, max_size=30))
def test_a_masked_name_never_shows_more_than_first_letters(name: str) -> None:
    masked = mask_name(name)
    assert len(masked) == len(name)
    hidden = [c for c, m in zip(name, masked, strict=True) if c != m]
    assert all(m == "*" for c, m in zip(name, masked, strict=True) if c != m)
    shown = sum(1 for c, m in zip(name, masked, strict=True) if c == m and c not in " *")
    assert shown <= len(name.split(" "))
    assert hidden or len(name.replace(" ", "").replace("*", "")) <= len(name.split(" "))
