"""Both decoder backends on rendered frames: agreement, text checks, robustness."""

from __future__ import annotations

import numpy as np
import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from devices.code_reader.camera.decoders import make_decoder
from devices.code_reader.camera.scene import QR_QUIET_ZONE, Symbology, render, sample_text
from devices.code_reader.contract import MAX_CODE_LENGTH, text_problem
from kernel.errors import ConfigError

BACKENDS = ["zxing", "pyzbar"]


def _qr_frame(content: str | bytes, *, eci: bool = False) -> np.ndarray:
    """A plain frame holding a QR code of exactly ``content`` (bytes are kept as bytes)."""
    qr = segno.make_qr(content, error="m", eci=eci)
    matrix = np.array([list(row) for row in qr.matrix], dtype=np.uint8) & 1
    card = np.pad(
        np.where(matrix == 1, 0, 255).astype(np.uint8), QR_QUIET_ZONE, constant_values=255
    )
    card = np.kron(card, np.ones((4, 4), dtype=np.uint8))
    frame = np.full((480, 640), 200, dtype=np.uint8)
    frame[40 : 40 + card.shape[0], 60 : 60 + card.shape[1]] = card
    return frame


def test_make_decoder_selects_by_name_and_refuses_unknown_names() -> None:
    assert make_decoder().name == "zxing"
    assert make_decoder("pyzbar").name == "pyzbar"
    with pytest.raises(ConfigError, match="unknown decoder"):
        make_decoder("opencv")
    with pytest.raises(ConfigError, match="datamatrix"):
        make_decoder("pyzbar", symbologies=("qr", "datamatrix"))
    with pytest.raises(ConfigError):
        make_decoder("zxing", symbologies=())


def test_backends_agree_on_clean_frames() -> None:
    rng = np.random.default_rng(7)
    zxing, pyzbar = make_decoder("zxing"), make_decoder("pyzbar")
    for index in range(20):
        symbology: Symbology = "code128" if index % 4 == 0 else "qr"
        text = f"S{index:09d}" if symbology == "code128" else sample_text(rng)
        frame, _ = render(text, rng=rng, symbology=symbology, perturbation="clean")
        from_zxing = [(c.text, c.symbology) for c in zxing.decode(frame)]
        from_pyzbar = [(c.text, c.symbology) for c in pyzbar.decode(frame)]
        assert from_zxing == from_pyzbar == [(text, symbology)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_colour_frames_decode_like_gray_ones(backend: str) -> None:
    rng = np.random.default_rng(3)
    frame, _ = render("CG1.colour.frame", rng=rng, color=True)
    assert frame.shape == (480, 640, 3)
    assert [c.text for c in make_decoder(backend).decode(frame)] == ["CG1.colour.frame"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_position_is_reported_around_the_code(backend: str) -> None:
    rng = np.random.default_rng(4)
    frame, placement = render("WHERE", rng=rng)
    assert placement is not None
    (code,) = make_decoder(backend).decode(frame)
    assert code.position is not None
    xs = [p[0] for p in code.position]
    card_xs = [c[0] for c in placement.corners]
    assert min(card_xs) - 2 <= min(xs)
    assert max(xs) <= max(card_xs) + 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_scenes_give_nothing(backend: str) -> None:
    rng = np.random.default_rng(11)
    decoder = make_decoder(backend)
    for _ in range(20):
        frame, _ = render(None, rng=rng, perturbation="none")
        assert decoder.decode(frame) == []
    assert not decoder.rejected


def test_codes_that_are_not_utf8_text_are_dropped_and_counted() -> None:
    # zxing hands back the raw bytes; ZBar re-encodes what it reads, so only
    # zxing can show a code that is not UTF-8 at all.
    decoder = make_decoder("zxing")
    assert decoder.decode(_qr_frame(b"\xff\xfe\x00binary")) == []
    assert decoder.rejected["not_utf8"] == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_codes_with_control_characters_are_dropped_and_counted(backend: str) -> None:
    decoder = make_decoder(backend)
    assert decoder.decode(_qr_frame("bell\x07here")) == []
    assert decoder.decode(_qr_frame("two\nlines")) == []
    assert decoder.rejected["non_printable"] == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_unicode_text_marked_as_utf8_is_kept(backend: str) -> None:
    decoder = make_decoder(backend)
    frame = _qr_frame("北门-1 访客", eci=True)
    assert [c.text for c in decoder.decode(frame)] == ["北门-1 访客"]


def test_unmarked_utf8_is_read_as_utf8_by_zxing() -> None:
    # ZBar guesses Shift-JIS for UTF-8 without an ECI marker and garbles it;
    # gate codes are ASCII, and zxing (the default) reads the bytes as they are.
    decoder = make_decoder("zxing")
    assert [c.text for c in decoder.decode(_qr_frame("北门-1 访客"))] == ["北门-1 访客"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "empty"),
        (b"x" * (MAX_CODE_LENGTH + 1), "too_long"),
        (b"\xc3", "not_utf8"),
        (b"a\x00b", "non_printable"),
        (b"\xe2\x80\xa8", "non_printable"),  # U+2028 line separator
        (b"CG1.abc.def", None),
        ("体温".encode(), None),
    ],
)
def test_text_problem(data: bytes, problem: str | None) -> None:
    assert text_problem(data) == problem


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((0, 0), np.uint8),
        np.zeros((10, 10, 4), np.uint8),
        np.zeros((10, 10), np.float32),
        np.zeros((10,), np.uint8),
        "not an image",
    ],
    ids=["empty", "bgra", "float", "1d", "str"],
)
def test_frames_that_are_not_images_are_counted_not_raised(backend: str, frame: object) -> None:
    decoder = make_decoder(backend)
    assert decoder.decode(frame) == []  # type: ignore[arg-type]
    assert decoder.rejected["bad_frame"] == 1


_images = hnp.arrays(
    dtype=np.uint8,
    shape=st.one_of(
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=48),
        st.tuples(st.integers(1, 32), st.integers(1, 32), st.sampled_from([1, 3, 4])),
    ),
)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=150, deadline=None)
@given(image=_images, strided=st.booleans())
def test_random_small_images_never_crash_a_decoder(
    backend: str, image: np.ndarray, strided: bool
) -> None:
    decoder = make_decoder(backend)
    if strided and image.shape[1] > 1:
        image = image[:, ::2]  # not contiguous
    for code in decoder.decode(image):
        assert text_problem(code.text.encode()) is None
