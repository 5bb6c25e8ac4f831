#!/usr/bin/env bash
# Installs everything campusgate needs on a fresh Debian machine: the Debian
# packages it talks to or loads (Mosquitto, zbar, PostgreSQL client libraries),
# then a virtual environment with the project and its development tools.
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the browser tests drive it with Playwright; fonts-noto-cjk: Chinese pages and
# reports render; poppler-utils: the report tests turn PDFs into images; fonts-wqy-zenhei: a
# TrueType CJK font the printed cards embed (reportlab cannot embed Noto CJK's CFF outlines).
DEBIAN_PACKAGES=(mosquitto libzbar0 libgl1 libglib2.0-0 poppler-utils fonts-noto-cjk fonts-wqy-zenhei
                 chromium)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
echo "setup: done ($(.venv/bin/python --version))"
