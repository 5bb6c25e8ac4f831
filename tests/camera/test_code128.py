"""The Code 128-B encoder: its table, its check symbol, and real decoders reading it."""

from __future__ import annotations

import numpy as np
import pytest

from devices.code_reader.camera import code128
from devices.code_reader.camera.decoders import make_decoder
from devices.code_reader.camera.scene import code128_card


def test_table_has_every_symbol_once_with_the_right_widths() -> None:
    assert len(code128.PATTERNS) == 107
    assert len(set(code128.PATTERNS)) == 107
    for value, pattern in enumerate(code128.PATTERNS):
        widths = [int(c) for c in pattern]
        assert sum(widths) == (13 if value == code128.STOP else 11), value
        assert all(1 <= w <= 4 for w in widths), value
        # Bars of every symbol add up to an even number of modules (parity rule).
        assert sum(widths[0::2]) % 2 == 0, value


def test_check_symbol_follows_the_modulo_103_rule() -> None:
    # "PJJ123C": values 48 42 42 17 18 19 35 -> (104 + 48 + 84 + 126 + 68 + 90 + 114 + 245) % 103
    values = code128.symbol_values("PJJ123C")
    assert values[0] == code128.START_B
    assert values[1:-2] == [48, 42, 42, 17, 18, 19, 35]
    assert values[-2] == (104 + 48 + 84 + 126 + 68 + 90 + 114 + 245) % 103
    assert values[-1] == code128.STOP


def test_modules_start_and_end_with_quiet_zones_and_have_the_right_length() -> None:
    row = code128.modules("AB")
    assert row[:10] == [False] * 10
    assert row[-10:] == [False] * 10
    assert len(row) == 10 + 11 * 4 + 13 + 10  # start, A, B, check, stop


@pytest.mark.parametrize("text", ["", "é", "tab\there", "\x7f"])
def test_text_outside_code_set_b_is_refused(text: str) -> None:
    with pytest.raises(code128.Code128Error):
        code128.symbol_values(text)


def _frame(text: str) -> np.ndarray:
    card = code128_card(text, module_px=2)
    frame = np.full((card.shape[0] + 40, card.shape[1] + 40), 255, dtype=np.uint8)
    frame[20:-20, 20:-20] = card
    return frame


@pytest.mark.parametrize("backend", ["zxing", "pyzbar"])
def test_every_printable_character_round_trips_through_a_real_decoder(backend: str) -> None:
    decoder = make_decoder(backend, symbologies=("code128",))
    alphabet = "".join(chr(c) for c in range(32, 127))
    chunks = [alphabet[i : i + 24] for i in range(0, len(alphabet), 24)]
    for text in [*chunks, "S2021001234", "CG-gate north/1", " x "]:
        found = decoder.decode(_frame(text))
        assert [(c.text, c.symbology) for c in found] == [(text, "code128")], text
