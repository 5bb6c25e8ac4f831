"""Decode rates on generated frames, one perturbation at a time (DESIGN section 7).

The target is >= 98 % per perturbation with zxing; the assertion allows 95 %
so a rare unlucky frame does not fail the suite.  ``bench/decode.py`` reports
the same rates on more frames, with timings.
"""

from __future__ import annotations

import numpy as np
import pytest

from devices.code_reader.camera.decoders import make_decoder
from devices.code_reader.camera.scene import PERTURBATIONS, render, sample_text

FRAMES = 50
MIN_RATE = 0.95
TEXTS = 12  # texts are reused so rendered QR cards come from the cache


@pytest.mark.parametrize("perturbation", [p for p in PERTURBATIONS if p != "none"])
def test_zxing_decodes_perturbed_qr_frames(perturbation: str) -> None:
    rng = np.random.default_rng(sum(map(ord, perturbation)))
    texts = [sample_text(rng) for _ in range(TEXTS)]
    decoder = make_decoder("zxing")
    decoded = 0
    for index in range(FRAMES):
        text = texts[index % TEXTS]
        frame, _ = render(text, rng=rng, perturbation=perturbation)  # type: ignore[arg-type]
        found = decoder.decode(frame)
        assert [c.text for c in found] in ([], [text])  # never a wrong text
        decoded += bool(found)
    rate = decoded / FRAMES
    print(f"zxing {perturbation}: {rate:.0%} of {FRAMES} frames")
    assert rate >= MIN_RATE


@pytest.mark.parametrize("perturbation", [p for p in PERTURBATIONS if p != "none"])
def test_zxing_decodes_perturbed_code128_frames(perturbation: str) -> None:
    rng = np.random.default_rng(99)
    decoder = make_decoder("zxing")
    decoded = 0
    for index in range(FRAMES):
        text = f"S{2021000000 + index}"
        frame, _ = render(text, rng=rng, symbology="code128", perturbation=perturbation)  # type: ignore[arg-type]
        found = decoder.decode(frame)
        assert [(c.text, c.symbology) for c in found] in ([], [(text, "code128")])
        decoded += bool(found)
    rate = decoded / FRAMES
    print(f"zxing code128 {perturbation}: {rate:.0%} of {FRAMES} frames")
    assert rate >= MIN_RATE


def test_empty_scenes_give_nothing_over_many_frames() -> None:
    rng = np.random.default_rng(5)
    decoder = make_decoder("zxing")
    for _ in range(FRAMES):
        frame, placement = render(sample_text(rng), rng=rng, perturbation="none")
        assert placement is None
        assert decoder.decode(frame) == []
