"""``open_relay(url)``: the turnstile a lane's relay setting names."""

from __future__ import annotations

import pytest

from devices.relay import NoRelay, RelayError, UsbRelay, open_relay
from kernel.errors import ConfigError


@pytest.mark.parametrize("url", [None, "none", " NONE "])
def test_none_is_the_guard_opening_by_hand(url: str | None) -> None:
    assert isinstance(open_relay(url), NoRelay)


def test_a_serial_url_drives_the_named_relay_of_a_usb_board() -> None:
    chosen = open_relay("serial:///dev/ttyUSB1?relay=2", name="east")
    assert isinstance(chosen, UsbRelay)
    assert (chosen.url, chosen.relay, chosen.name) == ("/dev/ttyUSB1", 2, "east")
    default = open_relay("serial+socket://10.0.0.7:4001")
    assert isinstance(default, UsbRelay)
    assert (default.url, default.relay) == ("socket://10.0.0.7:4001", 1)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://x", "not a serial device URL"),
        ("", "not a serial device URL"),
        ("serial://host/dev/x", "local path"),
        ("serial:///dev/x?relay=two", "relay='two' is not a number"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        open_relay(url)


def test_a_relay_number_the_board_does_not_have_is_refused() -> None:
    with pytest.raises(RelayError, match=r"outside 1\.\.8"):
        open_relay("serial:///dev/ttyUSB1?relay=9")
