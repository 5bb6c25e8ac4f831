"""Thermometer frame parsers: hand-built frames, every split, and arbitrary bytes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.thermometer import Fault, Reading, make_parser
from devices.thermometer.binary import GyMcu90614, Idc50, Lu90614

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
D = Decimal


def feed_all(name: str, data: bytes, cuts: list[int] | None = None) -> list[object]:
    parser = make_parser(name, "ir-0")
    events: list[object] = []
    points = [0, *sorted(cuts or []), len(data)]
    for a, b in itertools.pairwise(points):
        events += parser.feed(data[a:b], NOW)
    return events


def readings(events: list[object]) -> list[tuple[str, Decimal]]:
    return [(e.kind, e.celsius) for e in events if isinstance(e, Reading)]


def faults(events: list[object]) -> list[str]:
    return [e.reason for e in events if isinstance(e, Fault)]


def test_gy_frame_layout_and_values() -> None:
    frame = GyMcu90614.build(D("36.55"), D("-3.20"))
    assert frame[:4] == bytes.fromhex("5a5a4504")
    assert frame[-1] == sum(frame[:-1]) & 0xFF
    assert readings(feed_all("gy-mcu90614", frame)) == [
        ("surface", D("36.55")),
        ("ambient", D("-3.2")),
    ]


def test_lu_frame_body_and_object() -> None:
    body, obj = Lu90614.build(D("36.62")), Lu90614.build(D("33.10"), body=False)
    assert body.hex(" ") == "fe ac 24 3e 00 00 00 00 " + f"{sum(body[:-1]) & 0xFF:02x}"
    assert readings(feed_all("lu90614", body + obj)) == [
        ("body", D("36.62")),
        ("surface", D("33.1")),
    ]


def test_idc50_binary_and_ascii() -> None:
    frame = Idc50.build(D("37.3"))
    assert frame.hex(" ").startswith("aa 55 06 25 03")
    assert readings(feed_all("idc50", frame)) == [("body", D("37.3"))]
    events = feed_all("idc50-ascii", b"{36.6}{T:37.3}junk{hot}")
    assert readings(events) == [("body", D("36.6")), ("body", D("37.3"))]
    assert faults(events) == ["garbage", "garbage"]


def test_ascii_lines() -> None:
    events = feed_all("ascii", b"36.6\r\nT=36.62\nBODY:37.3\nAMB:24.1\nSURF:34.2\nhello\n")
    assert readings(events) == [
        ("body", D("36.6")),
        ("body", D("36.62")),
        ("body", D("37.3")),
        ("ambient", D("24.1")),
        ("surface", D("34.2")),
    ]
    assert faults(events) == ["garbage"]
    assert faults(feed_all("ascii", b"1" * 100)) == ["overlong"]


@pytest.mark.parametrize(
    ("name", "frame"),
    [
        ("gy-mcu90614", GyMcu90614.build(D("36.5"), D("22"))),
        ("lu90614", Lu90614.build(D("36.5"))),
        ("idc50", Idc50.build(D("36.5"))),
    ],
)
def test_bad_checksum_garbage_and_resync(name: str, frame: bytes) -> None:
    corrupt = frame[:-1] + bytes([(frame[-1] + 1) & 0xFF])
    events = feed_all(name, b"\x00\x13garbage" + corrupt + frame)
    assert "checksum" in faults(events)
    assert "garbage" in faults(events)
    assert readings(events) == readings(feed_all(name, frame))
    for cut in range(1, len(frame) * 2):
        assert readings(feed_all(name, frame + frame, [cut])) == readings(feed_all(name, frame)) * 2


def test_out_of_range_is_a_fault() -> None:
    events = feed_all("lu90614", Lu90614.build(D("200.00")))
    assert readings(events) == []
    assert faults(events) == ["out_of_range"]


BINARY = {"gy-mcu90614": GyMcu90614, "lu90614": Lu90614, "idc50": Idc50}


@given(st.sampled_from(list(BINARY)), st.binary(max_size=400))
def test_random_bytes_only_yield_checksummed_frames(name: str, data: bytes) -> None:
    parser_class = BINARY[name]
    for kind, celsius in readings(feed_all(name, data)):
        if name == "gy-mcu90614":
            continue  # a reading pair: checked through the frame search below
        frame = (
            parser_class.build(celsius, body=kind == "body")
            if name == "lu90614"
            else parser_class.build(celsius)
        )
        assert frame in data
    if name == "gy-mcu90614":
        values = readings(feed_all(name, data))
        for (_k1, surface), (_k2, ambient) in zip(values[::2], values[1::2], strict=True):
            assert GyMcu90614.build(surface, ambient) in data


@given(
    st.lists(
        st.sampled_from(
            [
                Lu90614.build(D("36.60")),
                Lu90614.build(D("38.20")),
                b"\xfe\xac",
                b"\x00junk",
                b"\xfe",
            ]
        ),
        max_size=12,
    ),
    st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
def test_any_split_gives_the_same_readings(parts: list[bytes], cuts: list[int]) -> None:
    data = b"".join(parts)
    cuts = [c for c in cuts if c <= len(data)]
    assert readings(feed_all("lu90614", data, cuts)) == readings(feed_all("lu90614", data))


@given(st.sampled_from(["ascii", "idc50-ascii"]), st.binary(max_size=300))
def test_text_parsers_never_raise(name: str, data: bytes) -> None:
    feed_all(name, data)


STREAMS: dict[str, object] = {
    "ascii": lambda c: f"BODY:{c}\r\n".encode(),
    "idc50-ascii": lambda c: f"{{T:{c}}}".encode(),
    "gy-mcu90614": lambda c: GyMcu90614.build(c, D("20.00")),
    "idc50": lambda c: Idc50.build(c.quantize(D("0.1"))),  # it carries tenths
}


@given(
    st.sampled_from(sorted(STREAMS)),
    st.lists(st.decimals(D("30.0"), D("39.9"), places=1), min_size=3, max_size=8),
    st.data(),
)
def test_a_port_opened_mid_stream_never_reads_a_half_frame(
    name: str, values: list[Decimal], data: st.DataObject
) -> None:
    """The driver opens the port while the module sends: the stream starts at any byte."""
    build = STREAMS[name]
    stream = b"".join(build(v) for v in values)  # type: ignore[operator]
    last = len(build(values[-1]))  # type: ignore[operator]
    start = data.draw(st.integers(0, len(stream) - last - 1))  # the last frame comes whole
    parser = make_parser(name, "ir-0")
    parser.feed(b"BODY:3", NOW)  # the half line of the connection before
    parser.restart()
    got = [c for kind, c in readings(parser.feed(stream[start:], NOW)) if kind != "ambient"]
    assert got, "no whole frame after the cut"
    assert got == values[len(values) - len(got) :]  # only whole frames: a suffix of what was sent


def test_the_tail_of_a_line_is_not_a_reading_after_a_restart() -> None:
    parser = make_parser("ascii", "ir-0")
    parser.restart()
    assert readings(parser.feed(b"74\r\nBODY:36.70\r\n", NOW)) == [("body", D("36.70"))]
