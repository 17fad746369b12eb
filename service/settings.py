"""Deployment settings from the environment, validated once at startup."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from service.errors import ConfigurationError

REPO_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

# env var -> (settings field, parser). Every variable is documented in config/example.env.
_ENV = {
    "MAILLON_DATA_DIR": ("data_dir", Path),
    "MAILLON_CONFIG_DIR": ("config_dir", Path),
    "MAILLON_BACKEND": ("backend", str),
    "MAILLON_MODEL": ("model_name", str),
    "MAILLON_MODEL_CACHE": ("model_cache_dir", Path),
    "MAILLON_EMBED_BATCH_SIZE": ("embed_batch_size", int),
    "MAILLON_VECTOR_INDEX": ("vector_index", str),
    "MAILLON_HNSW_THRESHOLD": ("hnsw_threshold", int),
    "MAILLON_MAX_UPLOAD_MB": ("max_upload_mb", int),
    "MAILLON_JOB_TIMEOUT_S": ("job_timeout_s", int),
    "MAILLON_LOG_LEVEL": ("log_level", str),
    "MAILLON_CPU_THREADS": ("cpu_threads", int),
    "REDIS_URL": ("redis_url", str),
    "ES_URL": ("es_url", str),
    "ES_INDEX_PREFIX": ("es_index_prefix", str),
    "ES_API_KEY": ("es_api_key", str),
    "ES_USERNAME": ("es_username", str),
    "ES_PASSWORD": ("es_password", str),
    "ES_CA_CERTS": ("es_ca_certs", str),
    "ES_TIMEOUT_S": ("es_timeout_s", int),
    # web app and e-mail notifications
    "MAILLON_SECRET_KEY": ("secret_key", str),
    "MAILLON_PUBLIC_URL": ("public_url", str),
    "MAILLON_SMTP_HOST": ("smtp_host", str),
    "MAILLON_SMTP_PORT": ("smtp_port", int),
    "MAILLON_SMTP_USER": ("smtp_user", str),
    "MAILLON_SMTP_PASSWORD": ("smtp_password", str),
    "MAILLON_SMTP_STARTTLS": ("smtp_starttls", lambda v: v.lower() in ("1", "true", "yes")),
    "MAILLON_MAIL_FROM": ("mail_from", str),
    "MAILLON_SECURE_COOKIES": ("secure_cookies", lambda v: v.lower() in ("1", "true", "yes")),
    "ES_REPLICAS": ("es_replicas", int),
    "MAILLON_EMBED_BACKEND": ("embed_backend", str),
    "MAILLON_REMINDER_LEAD_HOURS": ("reminder_lead_hours", float),
}
EMBED_BACKENDS = ("auto", "torch", "onnx", "onnx-int8")
# Values copied from an example file are refused rather than sent to a server.
PLACEHOLDER_SECRETS = frozenset({"change-me", "changeme", "change-me-to-a-long-random-string", "password",
                                 "elastic", "secret"})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    config_dir: Path = REPO_CONFIG_DIR
    backend: str = "embedded"
    model_name: str = "multilingual-e5-small"
    model_cache_dir: Path | None = None
    embed_batch_size: int = 64
    vector_index: str = "auto"
    hnsw_threshold: int = 50_000
    max_upload_mb: int = 50
    job_timeout_s: int = 3600
    log_level: str = "INFO"
    # Threads for torch and BLAS in each process (API worker, RQ worker, CLI). Several Maillon
    # processes share a machine's cores; one thread each is fastest in total (tests/bench).
    cpu_threads: int = 1
    redis_url: str | None = None
    es_url: str | None = None
    es_index_prefix: str = "maillon"
    es_api_key: str | None = None
    es_username: str | None = None
    es_password: str | None = None
    es_ca_certs: str | None = None
    es_timeout_s: int = 10
    secret_key: str | None = None  # signs sessions and sign-in links; else kept in data_dir
    public_url: str = "http://127.0.0.1:5000"  # the base of links in e-mails
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Maillon <maillon@localhost>"
    secure_cookies: bool = True  # HTTPS-only session cookies; off only for local http demos
    es_replicas: int | None = None  # replicas of new indices; 0 on a single node (None: the server's default)
    # auto: the backend the data dir's vectors are made with; a new store takes onnx-int8 (1.6-1.8x
    # the texts per core, ESCO FR->EN R@10 within 0.01, tests/bench/bench_backends.py) when its
    # export is made, else torch while the export runs in the background (service.embed_backend).
    embed_backend: str = "auto"
    # the reminder e-mail goes this long before the event's first session (scheduled on publishing
    # a final agenda); 0 sends none automatically
    reminder_lead_hours: float = 24.0

    @property
    def store_path(self) -> Path:
        return self.data_dir / "maillon.sqlite3"

    @property
    def models_dir(self) -> Path:
        # Built model folders are shared by every data dir of the user (demo, tests, service).
        if self.model_cache_dir:
            return self.model_cache_dir
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(cache) / "maillon" / "models"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build Settings from the environment, then `overrides` (field names), and validate.

    Every path is made absolute here, once: a relative data dir means the same place for every
    process started from here (redis-server, for one, changes directory before it opens files)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for var, (name, parse) in _ENV.items():
        raw = environ.get(var)
        if raw is None or raw == "":
            continue
        try:
            values[name] = parse(raw)
        except ValueError as exc:
            raise ConfigurationError(f"environment variable {var}={raw!r}: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(overrides or {}) - known)
    if unknown:
        raise ConfigurationError(f"unknown settings: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    values.update(overrides or {})
    settings = replace(Settings(), **values)
    settings = replace(settings, **{name: Path(getattr(settings, name)).expanduser().resolve()
                                    for name in _PATHS if getattr(settings, name) is not None})
    _validate(settings)
    return settings


_PATHS = ("data_dir", "config_dir", "model_cache_dir")


def _validate(s: Settings) -> None:
    problems = []
    if s.backend not in ("embedded", "elasticsearch"):
        problems.append(f"MAILLON_BACKEND: {s.backend!r} is not 'embedded' or 'elasticsearch'")
    if s.backend == "elasticsearch" and not s.es_url:
        problems.append("ES_URL: required when MAILLON_BACKEND=elasticsearch")
    if s.vector_index not in ("auto", "exact", "hnsw"):
        problems.append(f"MAILLON_VECTOR_INDEX: {s.vector_index!r} is not auto, exact or hnsw")
    for name in ("embed_batch_size", "hnsw_threshold", "max_upload_mb", "job_timeout_s", "cpu_threads"):
        if getattr(s, name) <= 0:
            problems.append(f"{name}: must be positive, got {getattr(s, name)}")
    if s.embed_backend not in EMBED_BACKENDS:
        problems.append(f"MAILLON_EMBED_BACKEND: {s.embed_backend!r} is not one of {', '.join(EMBED_BACKENDS)}")
    if s.reminder_lead_hours < 0:
        problems.append(f"MAILLON_REMINDER_LEAD_HOURS: must be 0 (no automatic reminder) or more, "
                        f"got {s.reminder_lead_hours}")
    for var, value in (("ES_PASSWORD", s.es_password), ("ES_API_KEY", s.es_api_key)):
        if value and value.strip().lower() in PLACEHOLDER_SECRETS:
            problems.append(f"{var}: {value!r} is a placeholder; set the real secret")
    if s.es_replicas is not None and s.es_replicas < 0:
        problems.append(f"ES_REPLICAS: must be 0 or more, got {s.es_replicas}")
    if not s.config_dir.is_dir():
        problems.append(f"MAILLON_CONFIG_DIR: {s.config_dir} is not a directory")
    if problems:
        raise ConfigurationError("invalid settings: " + "; ".join(problems), problems)
