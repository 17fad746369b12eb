"""config/pipeline.yaml: follow-up delays and learning knobs, validated when first loaded."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from service.errors import ConfigurationError

_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30.44 * 86400}
_DELAY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(second|minute|hour|day|week|month)s?\s*$")
RELEVANCE_KEYS = ("declined", "no_show", "accepted", "met", "met_well", "met_badly", "agreement")


def parse_delay(text: str) -> timedelta:
    found = _DELAY.match(text or "")
    if not found:
        raise ValueError(f"{text!r} is not a delay like '3 months' or '90 days'")
    return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])


class _Delay(fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> timedelta:
        try:
            return parse_delay(super()._deserialize(value, attr, data, **kwargs))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class _LearningSchema(Schema):
    relevance = fields.Dict(keys=fields.String(validate=validate.OneOf(RELEVANCE_KEYS)),
                            values=fields.Integer(validate=validate.Range(min=0, max=3)), required=True)
    positive_at = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    min_examples = fields.Integer(required=True, validate=validate.Range(min=4))
    min_per_class = fields.Integer(required=True, validate=validate.Range(min=2))
    folds = fields.Integer(required=True, validate=validate.Range(min=2, max=20))


class _PipelineSchema(Schema):
    version = fields.Integer(required=True, validate=validate.Equal(1))
    follow_up_delays = fields.List(_Delay(), required=True, validate=validate.Length(max=10))
    learning = fields.Nested(_LearningSchema, required=True)


def load_pipeline_config(config_dir: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The validated file; `overrides` replace top-level keys (tests shorten the delays)."""
    path = config_dir / "pipeline.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"{path}: cannot be read: {exc}") from exc
    raw.update(overrides or {})
    try:
        cfg = _PipelineSchema().load(raw)
    except ValidationError as exc:
        raise ConfigurationError(f"{path}: invalid: {exc.messages}", exc.messages) from exc
    missing = sorted(set(RELEVANCE_KEYS) - set(cfg["learning"]["relevance"]))
    if missing:
        raise ConfigurationError(f"{path}: learning.relevance is missing {missing}")
    return cfg
