"""Stand-ins for unit tests of scoring and its bounds (no model, no template): unit vectors at
chosen cosines, and a domain without sectors."""
from __future__ import annotations

import numpy as np


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def near(rng: np.random.Generator, anchor: np.ndarray, cosine: float) -> np.ndarray:
    """A unit vector at about `cosine` from `anchor`."""
    noise = unit(rng.normal(size=anchor.shape))
    noise = unit(noise - (noise @ anchor) * anchor)
    return unit(cosine * anchor + np.sqrt(max(0.0, 1 - cosine**2)) * noise)


class BareDomain:
    """A domain with no sector template (Coverage reads only these)."""

    matching = {"gap": {}}
    sectors: dict = {}
