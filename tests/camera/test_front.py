"""``open_code_reader(url)``: the camera or scanner a lane's setting names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devices.code_reader import open_code_reader
from devices.code_reader.camera.reader import CameraReader
from devices.code_reader.camera.sources import FolderSource, OpenCvSource
from devices.code_reader.scanner.reader import SerialScanner, StreamScanner
from kernel.errors import ConfigError


def test_none_is_no_reader() -> None:
    assert open_code_reader("none", name="camera") is None
    assert open_code_reader(" NONE", name="scanner", backend="scanner") is None


def test_serial_urls_are_scanners_with_their_baud_rate() -> None:
    local = open_code_reader("serial:///dev/ttyACM0?baud=115200", name="scanner")
    assert isinstance(local, SerialScanner)
    assert (local.url, local.baudrate, local.name) == ("/dev/ttyACM0", 115200, "scanner")
    remote = open_code_reader("serial+socket://10.0.0.5:4001", name="scanner")
    assert isinstance(remote, SerialScanner)
    assert (remote.url, remote.baudrate) == ("socket://10.0.0.5:4001", 9600)


def test_stdin_is_a_keyboard_wedge() -> None:
    wedge = open_code_reader("stdin", name="scanner")
    assert isinstance(wedge, StreamScanner)
    assert wedge.stream is sys.stdin.buffer


def test_anything_else_is_a_camera_with_the_chosen_decoder(tmp_path: Path) -> None:
    device = open_code_reader("0", name="camera", decoder="pyzbar")
    assert isinstance(device, CameraReader)
    assert isinstance(device.source, OpenCvSource)
    assert device.source.target == 0
    assert device.decoder.name == "pyzbar"
    folder = open_code_reader(str(tmp_path), name="camera", fps=5, loop=True)
    assert isinstance(folder, CameraReader)
    assert isinstance(folder.source, FolderSource)
    assert folder.source.loop


def test_the_backend_argument_insists_on_one_kind() -> None:
    with pytest.raises(ConfigError, match="not a serial device URL"):
        open_code_reader("0", name="scanner", backend="scanner")
    forced = open_code_reader("serial:///dev/video0", name="camera", backend="camera")
    assert isinstance(forced, CameraReader)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("serial:///dev/ttyACM0?baud=fast", "baud='fast' is not a number"),
        ("serial://host/dev/ttyACM0", "local path"),
    ],
)
def test_bad_scanner_settings_are_refused(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        open_code_reader(url, name="scanner")


def test_a_scanner_alone_never_loads_opencv() -> None:
    probe = (
        "import sys\n"
        "from devices.code_reader import open_code_reader\n"
        "open_code_reader('serial:///dev/ttyACM0', name='scanner')\n"
        "print(sorted(m for m in ('cv2', 'numpy', 'zxingcpp') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
