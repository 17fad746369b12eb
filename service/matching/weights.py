"""config/matching.yaml: weights per search type and scoring knobs, validated at startup."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from service.errors import ConfigurationError

CRITERIA = ("complementarity", "gap_filling", "cross_border", "market_access", "scope",
            "maturity", "trust", "capacity")
PENALTY = "competitor_penalty"
SEARCH_TYPES = ("clusters", "members", "text")
# floor/ceiling: need→offer cosines mapped to [0, 1]; answers: the raw cosine from which an offer
# answers a need; same_link: label↔label cosine from which two labels name the same link;
# peer_floor/peer_ceiling: like-for-like cosines (offer↔offer, need↔need) mapped to [0, 1];
# gap_need: label↔need cosine from which a need names a value-chain gap; language_pull: raw
# cosine given back to same-language pairs; gap_offer: raw need→offer cosine from which an offer that
# answers the need naming a gap fills that gap.
SIMILARITY_KNOBS = ("floor", "ceiling", "answers", "same_link", "gap_need", "peer_floor", "peer_ceiling",
                    "language_pull", "hub_center", "gap_offer", "peer_pull")

def _weight() -> fields.Float:
    return fields.Float(required=True, validate=validate.Range(min=0, max=10))


class _WeightsSchema(Schema):
    complementarity = _weight()
    gap_filling = _weight()
    cross_border = _weight()
    market_access = _weight()
    scope = _weight()
    maturity = _weight()
    trust = _weight()
    capacity = _weight()
    competitor_penalty = _weight()

    @validates_schema
    def some_weight(self, data: dict[str, float], **_: Any) -> None:
        if sum(data[c] for c in CRITERIA) <= 0:
            raise ValidationError("at least one criterion needs a positive weight")


class _Range(fields.List):
    def __init__(self, **kw: Any) -> None:
        super().__init__(fields.Float(), validate=validate.Length(equal=2), **kw)


class _MatchingSchema(Schema):
    version = fields.Integer(required=True, validate=validate.Equal(1))
    weights = fields.Dict(keys=fields.String(validate=validate.OneOf(SEARCH_TYPES)),
                          values=fields.Nested(_WeightsSchema), required=True)
    retrieval = fields.Dict(keys=fields.String(validate=validate.OneOf(["per_need_k", "per_gap_k", "max_candidates"])),
                            values=fields.Integer(validate=validate.Range(min=1, max=10_000)), required=True)
    similarity = fields.Dict(keys=fields.String(), values=fields.Dict(
        keys=fields.String(validate=validate.OneOf(SIMILARITY_KNOBS)), values=fields.Float()), required=True)
    # Per model, "need language>offer language" -> raw cosine taken off (service/matching/language.py).
    language_offsets = fields.Dict(keys=fields.String(), values=fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[a-z]{2}>[a-z]{2}$")),
        values=fields.Float(validate=validate.Range(min=-0.2, max=0.2))), load_default=dict)
    gap = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    cross_border = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    scope = fields.Dict(keys=fields.String(), values=_Range(), required=True)
    capacity = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    # Free-text needs: BM25 fused with kNN at retrieval (service/matching/hybrid.py).
    hybrid = fields.Dict(keys=fields.String(validate=validate.OneOf(["weight", "lexical_k"])),
                         values=fields.Float(validate=validate.Range(min=0, max=1_000)), load_default=dict)

    @validates_schema
    def complete(self, data: dict[str, Any], **_: Any) -> None:
        missing = sorted(set(SEARCH_TYPES) - set(data.get("weights", {})))
        if missing:
            raise ValidationError(f"weights missing for search types {missing}", "weights")
        if "default" not in data.get("similarity", {}):
            raise ValidationError("a 'default' entry is required", "similarity")
        for name, entry in data.get("similarity", {}).items():
            if entry.get("floor", 0) >= entry.get("ceiling", 1):
                raise ValidationError(f"{name}: floor must be below ceiling", "similarity")


def load_matching_config(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return _MatchingSchema().load(raw)
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be read: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        raise ConfigurationError(f"{path}: invalid: {exc.messages}", exc.messages) from exc
