"""matchable_view (service/privacy.py) keeps exactly the fields `can_see` lets members see, plus
the visibility settings, whatever the levels and the fields present."""
from __future__ import annotations

import itertools

from service.privacy import ALWAYS_SHOWN, can_see, matchable_view

LEVELS = ("public", "members", "private", "owner-only?")  # an unknown level hides the field too


def per_field(doc: dict) -> dict:
    return {key: value for key, value in doc.items() if key == "visibility" or can_see(doc, key, "members")}


def test_same_fields_as_the_per_field_rule() -> None:
    base = {"id": "m1", "name": "Tonnellerie Dupuis", "country": "FR", "contact": "a@b.fr",
            "offers": [{"text": "fûts de chêne"}], "requests": [], "description": "Küferei"}
    for levels in itertools.product(LEVELS, repeat=4):
        visibility = dict(zip(("contact", "offers", "name", "visibility"), levels))
        for doc in ({**base, "visibility": visibility}, {**base, "visibility": {}}, dict(base),
                    {**base, "visibility": None}, {**base, "visibility": {"missing_field": "private"}}):
            view = matchable_view(doc)
            assert view == per_field(doc)
            assert list(view) == list(per_field(doc))  # same field order
            assert view is not doc


def test_private_fields_are_left_out_but_always_shown_ones_stay() -> None:
    doc = {"id": "m1", "name": "X", "contact": "a@b.fr", "offers": [], "visibility": {"contact": "private",
                                                                                      "name": "private"}}
    view = matchable_view(doc)
    assert "contact" not in view and "name" in view and "name" in ALWAYS_SHOWN and view["visibility"]
