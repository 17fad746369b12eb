"""Which embedding backend a data dir's vectors are made with (MAILLON_EMBED_BACKEND=auto).

Query vectors must come from the backend that made the stored vectors: int8 vectors differ from
PyTorch's (cosine about 0.99), so mixing the two would blur every ranking a little. The data dir
records the backend of its vectors in a one-line file, written by the first process that embeds
a text for it (first writer wins), and every later process follows it. With `auto`, a new or
empty store takes the fastest backend that holds quality (ONNX int8, tests/bench/bench_backends.py)
when its export is already made, else PyTorch: nobody waits for an export. The export is then made
in the background, at low priority, for the next new store.
"""
from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

AUTO = "auto"
FASTEST = "onnx-int8"
# Stores made before the record existed were made on the default of the time.
LEGACY = "torch"
RECORD = "embed_backend"


def choose(configured: str, recorded: str | None, has_vectors: Callable[[], bool],
           fastest_ready: Callable[[], bool]) -> str:
    """The backend to embed with. An explicit setting wins; `auto` follows the store."""
    if configured != AUTO:
        return configured
    if recorded:
        return recorded
    if has_vectors():
        return LEGACY
    return FASTEST if fastest_ready() else LEGACY


class BackendRecord:
    """`<data dir>/embed_backend`: the backend of the vectors stored there."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / RECORD

    def read(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def claim(self, backend: str) -> str:
        """Record `backend` unless a backend is recorded already; the recorded one is returned."""
        found = self.read()
        if found:
            return found
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{RECORD}-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(backend + "\n")
            os.chmod(name, 0o644)
            os.link(name, self.path)  # atomic, and fails when another process recorded first
        except FileExistsError:
            pass
        finally:
            os.unlink(name)
        return self.read() or backend


class BackendChoice:
    """The backend of one process, decided on first need and kept in line with the record."""

    def __init__(self, configured: str, record: BackendRecord, has_vectors: Callable[[], bool],
                 fastest_ready: Callable[[], bool], export_fastest: Callable[[], object] = lambda: None) -> None:
        self.configured = configured
        self.record = record
        self._has_vectors = has_vectors
        self._fastest_ready = fastest_ready
        self._export_fastest = export_fastest
        self._chosen: str | None = None
        self._warned = False

    def current(self) -> str:
        """The backend to use now: the record's once there is one (another process may have
        made it since this one chose)."""
        recorded = self.record.read()
        if self._chosen is None:
            self._chosen = choose(self.configured, recorded, self._has_vectors, self._ready)
        elif self.configured == AUTO and recorded and recorded != self._chosen:
            log.info("embedding backend: the data dir's vectors are %s now; following them", recorded)
            self._chosen = recorded
        if recorded and recorded != self._chosen and not self._warned:
            self._warned = True  # once per process, not per encode
            log.warning("MAILLON_EMBED_BACKEND=%s but the data dir's vectors were made with %s (%s): "
                        "queries and stored vectors differ slightly; re-ingest into a new data dir or "
                        "set MAILLON_EMBED_BACKEND=auto", self._chosen, recorded, self.record.path)
        return self._chosen

    def settle(self) -> str:
        """Texts are about to be embedded for this data dir: record the backend if none is."""
        self._follow(self.record.claim(self.current()))
        return self.current()

    def prefer(self, backend: str) -> str:
        """Under `auto`, a new store (no record, no vectors) takes `backend`: the demo's shipped
        vectors are used as they are instead of being embedded again on another backend."""
        if self.configured == AUTO and self.record.read() is None and not self._has_vectors():
            self._follow(self.record.claim(backend))
        return self.current()

    def prepare_fastest(self) -> None:
        """Under `auto`, start the fastest backend's export in the background if it is not made
        (the demo does once its first answers are out): the next new store takes it."""
        if self.configured == AUTO:
            self._ready()

    def _follow(self, recorded: str) -> None:
        if self.configured == AUTO:
            self._chosen = recorded

    def _ready(self) -> bool:
        ready = self._fastest_ready()
        if not ready:
            self._export_fastest()
        return ready


def backend_choice(settings: Any, has_vectors: Callable[[], bool]) -> BackendChoice:
    """The choice for the configured model and data dir. Only a transformer model (a folder with
    config.json) has an ONNX export; other models stay on PyTorch under `auto`."""
    from service.model_assets import materialise_model
    from service.onnx_embedder import export_in_background, exported

    def folder() -> Path:
        return materialise_model(settings.model_name, settings.models_dir)

    def ready() -> bool:
        return (folder() / "config.json").is_file() and exported(folder(), FASTEST)

    def export() -> None:
        if (folder() / "config.json").is_file() and export_in_background(folder(), FASTEST):
            log.info("embedding backend: exporting %s in the background; new stores will use it", FASTEST)

    return BackendChoice(settings.embed_backend, BackendRecord(settings.data_dir), has_vectors, ready, export)
