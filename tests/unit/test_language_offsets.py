from __future__ import annotations

import pytest

from service.matching.language import pair_offset
from tests.bench.bench_language_pull import offsets_from

TABLE = {"fr>fr": 0.016, "fr>es": 0.007, "fr>en": -0.007}


@pytest.mark.parametrize(("need", "offer", "expected"), [
    ("fr", "fr", 0.016), ("fr", "en", -0.007),  # measured pairs
    ("de", "de", 0.022), ("de", "it", 0.0),  # unmeasured: same language takes the flat pull
    (None, "fr", 0.0), ("fr", None, 0.0),  # an unknown language corrects nothing
])
def test_pair_offset(need: str | None, offer: str | None, expected: float) -> None:
    assert pair_offset(TABLE, 0.022, need, offer) == pytest.approx(expected)


def test_offsets_are_relative_to_the_need_languages_other_offers() -> None:
    # An English need's lower level everywhere ranks nothing: only the offer language's excess counts.
    background = {"fr>fr": 0.83, "fr>es": 0.82, "fr>en": 0.80, "en>fr": 0.78, "en>es": 0.78, "en>en": 0.79}
    offsets = offsets_from(background)
    assert offsets["fr>fr"] == pytest.approx(0.02) and offsets["fr>en"] == pytest.approx(-0.01)
    assert offsets["en>en"] == pytest.approx(0.01) and offsets["en>fr"] == pytest.approx(0.0)
