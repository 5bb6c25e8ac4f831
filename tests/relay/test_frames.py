"""LCUS-1 relay frames, built by hand from DESIGN section 2, and the board-side parser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.relay.frames import BadFrame, FrameParser, RelayCommand, checksum, command_frame


def test_documented_frames_for_relay_1() -> None:
    assert command_frame(1, closed=True) == bytes.fromhex("A0 01 01 A2")
    assert command_frame(1, closed=False) == bytes.fromhex("A0 01 00 A1")


@pytest.mark.parametrize("relay", range(1, 9))
def test_every_relay_number_has_its_checksum(relay: int) -> None:
    assert command_frame(relay, True) == bytes([0xA0, relay, 0x01, (0xA0 + relay + 1) & 0xFF])
    assert command_frame(relay, False) == bytes([0xA0, relay, 0x00, (0xA0 + relay) & 0xFF])


@pytest.mark.parametrize("relay", [0, 9, -1, 255])
def test_relay_numbers_outside_1_to_8_are_refused(relay: int) -> None:
    with pytest.raises(ValueError, match="relay number"):
        command_frame(relay, True)


def test_checksum_is_the_low_byte_of_the_sum() -> None:
    assert checksum(bytes([0xFF, 0xFF, 0x03])) == 0x01


def test_parser_reads_frames_split_anywhere() -> None:
    parser = FrameParser()
    stream = command_frame(1, True) + command_frame(3, False)
    out = []
    for byte in stream:
        out += parser.feed(bytes([byte]))
    assert out == [RelayCommand(1, True), RelayCommand(3, False)]


def test_bad_checksum_is_rejected_and_the_next_frame_still_read() -> None:
    parser = FrameParser()
    out = parser.feed(bytes.fromhex("A0 01 01 A3") + command_frame(1, False))
    assert [r for r in out if isinstance(r, RelayCommand)] == [RelayCommand(1, False)]
    assert BadFrame("bad_checksum", bytes.fromhex("A0 01 01 A3")) in out


@pytest.mark.parametrize(
    ("frame", "reason"),
    [("A0 00 01 A1", "bad_relay"), ("A0 09 00 A9", "bad_relay"), ("A0 01 02 A3", "bad_state")],
)
def test_frames_with_impossible_fields_are_rejected(frame: str, reason: str) -> None:
    out = FrameParser().feed(bytes.fromhex(frame))
    assert out[0] == BadFrame(reason, bytes.fromhex(frame))
    assert not [r for r in out if isinstance(r, RelayCommand)]


def test_leading_noise_is_skipped() -> None:
    out = FrameParser().feed(b"\x00\x13" + command_frame(2, True))
    assert out == [BadFrame("no_header", b"\x00\x13"), RelayCommand(2, True)]


@given(st.binary(max_size=64))
def test_random_bytes_never_raise_and_commands_are_always_valid_frames(data: bytes) -> None:
    for result in FrameParser().feed(data):
        if isinstance(result, RelayCommand):
            assert command_frame(result.relay, result.closed) in data


@given(
    noise=st.lists(st.binary(max_size=6), min_size=1, max_size=5),
    relays=st.lists(st.tuples(st.integers(1, 8), st.booleans()), min_size=1, max_size=5),
)
def test_valid_frames_between_noise_without_headers_are_all_read(
    noise: list[bytes], relays: list[tuple[int, bool]]
) -> None:
    clean_noise = [chunk.replace(b"\xa0", b"") for chunk in noise]
    stream = b""
    for index, (relay, closed) in enumerate(relays):
        stream += clean_noise[index % len(clean_noise)] + command_frame(relay, closed)
    commands = [r for r in FrameParser().feed(stream) if isinstance(r, RelayCommand)]
    assert commands == [RelayCommand(r, c) for r, c in relays]
