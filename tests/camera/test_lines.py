"""Scanner line framing: byte fixtures and properties."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.code_reader.scanner.lines import LINE_TIMEOUT_S, Line, LineParser, Rejected


def test_lines_end_at_cr_lf_or_crlf_and_empty_lines_are_skipped() -> None:
    parser = LineParser()
    assert parser.feed(b"ONE\rTWO\nTHREE\r\n\r\n\nFO") == [Line("ONE"), Line("TWO"), Line("THREE")]
    assert parser.feed(b"UR\r") == [Line("FOUR")]


def test_a_line_may_arrive_one_byte_at_a_time() -> None:
    parser = LineParser()
    out = []
    for byte in b"CG1.abc.def\r\n":
        out += parser.feed(bytes([byte]))
    assert out == [Line("CG1.abc.def")]


def test_garbage_is_rejected_with_its_reason() -> None:
    parser = LineParser()
    assert parser.feed(b"\xff\xfe\r\nab\x00cd\r\n   \r\n\x1b[A\r\nOK\r\n") == [
        Rejected("not_utf8", 2),
        Rejected("non_printable", 5),
        Rejected("blank", 3),
        Rejected("non_printable", 3),
        Line("OK"),
    ]


def test_an_over_long_line_is_rejected_once_and_the_next_line_is_read() -> None:
    parser = LineParser(max_length=10)
    assert parser.feed(b"x" * 8) == []
    assert parser.feed(b"x" * 8) == [Rejected("too_long", 16)]
    assert parser.feed(b"x" * 100) == []
    assert parser.feed(b"xx\r\nNEXT\r\n") == [Line("NEXT")]
    assert parser.feed(b"y" * 11 + b"\r\n") == [Rejected("too_long", 11)]
    assert parser.feed(b"y" * 10 + b"\r\n") == [Line("y" * 10)]


def test_a_partial_line_expires_after_a_quiet_gap() -> None:
    parser = LineParser()
    assert parser.feed(b"PART", now=10.0) == []
    assert parser.expire(10.0 + LINE_TIMEOUT_S / 2) == []
    assert parser.feed(b"IAL", now=10.4) == []  # still arriving: the gap restarts
    assert parser.expire(10.4 + LINE_TIMEOUT_S) == [Rejected("unterminated", 7)]
    assert parser.feed(b"NEW\r", now=20.0) == [Line("NEW")]
    assert parser.expire(100.0) == []


def test_an_over_long_line_without_end_stops_being_discarded_after_a_gap() -> None:
    parser = LineParser(max_length=4)
    assert parser.feed(b"123456", now=1.0) == [Rejected("too_long", 6)]
    assert parser.expire(2.0) == []
    assert parser.feed(b"OK\r", now=3.0) == [Line("OK")]


@settings(max_examples=300)
@given(chunks=st.lists(st.binary(max_size=64), max_size=20))
def test_random_bytes_never_raise_and_only_yield_printable_text(chunks: list[bytes]) -> None:
    parser = LineParser(max_length=40)
    for index, chunk in enumerate(chunks):
        for result in parser.feed(chunk, now=float(index)) + parser.expire(index + 0.1):
            if isinstance(result, Line):
                assert result.text.isprintable()
                assert result.text.strip()
                assert 0 < len(result.text.encode()) <= 40
            else:
                assert result.reason in {
                    "too_long",
                    "not_utf8",
                    "non_printable",
                    "blank",
                    "unterminated",
                }


@given(
    texts=st.lists(
        st.text(
            st.characters(codec="utf-8", categories=["L", "N", "P", "S"]), min_size=1, max_size=30
        ),
        max_size=10,
    ),
    split=st.integers(1, 7),
)
def test_printable_lines_come_back_whatever_the_chunking(texts: list[str], split: int) -> None:
    stream = b"".join(t.encode() + b"\r\n" for t in texts)
    parser = LineParser()
    out = []
    for start in range(0, len(stream), split):
        out += parser.feed(stream[start : start + split])
    assert out == [Line(t) for t in texts]
