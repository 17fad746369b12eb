"""Shared pieces of the benchmark suite: machine facts, percentiles, report sections, the model
loaded once per run, and the cached sample-data store the match/API benches reuse."""
from __future__ import annotations

import datetime as dt
import os
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO / "indexers" / "sample_data"
# Stores reused between runs (building them costs minutes); safe to delete at any time.
CACHE_DIR = Path(os.environ.get("MAILLON_BENCH_CACHE", "/tmp/maillon-bench"))


@dataclass
class Target:
    name: str
    goal: str  # "≥ 85 %", "≤ 50 ms"
    figure: str  # what was measured, with its ratio
    met: bool | None  # None: not measured in this run (e.g. --quick)


@dataclass
class Section:
    title: str
    body: str  # markdown: the figures table(s)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    load_after: str = ""  # load average when the part ended


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def rss_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def load_average() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def machine_info(model_name: str | None = None) -> dict[str, str]:
    """The facts a reader needs to compare two reports (absolute times only hold on one machine)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        ram = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        ram = "n/a"
    try:
        import torch

        torch_v = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        torch_v = "n/a"
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(), "os": platform.platform(), "cpu": cpu,
        "cores": f"{os.cpu_count()} logical", "ram": ram,
        "python": platform.python_version(), "torch": torch_v,
        "model": model_name or os.environ.get("MAILLON_MODEL", "multilingual-e5-small"),
        "load average (1/5/15 min) at start": load_average(),
    }


_embedder: Any = None


def get_embedder() -> Any:
    """The configured model, loaded once per process and shared by every part."""
    global _embedder
    if _embedder is None:
        from service.embeddings import load_embedder
        from service.settings import load_settings

        settings = load_settings()
        # auto follows a data dir's vectors (service.embed_backend); the benches' figures are PyTorch's
        backend = "torch" if settings.embed_backend == "auto" else settings.embed_backend
        _embedder = load_embedder(settings.model_name, settings.models_dir, settings.embed_batch_size, backend)
    return _embedder


def get_domain() -> Any:
    from service.domain_config import load_domain
    from service.settings import REPO_CONFIG_DIR

    return load_domain(REPO_CONFIG_DIR)


def sample_store(embedder: Any = None, domain: Any = None) -> Path:
    """A data dir holding the sample clusters and members, ingested once and cached."""
    embedder = embedder or get_embedder()
    data_dir = CACHE_DIR / f"sample-{embedder.name}"
    done = data_dir / "READY"
    if done.exists():
        return data_dir
    from indexers.pipeline import ingest
    from indexers.sources import read_records
    from service.index.embedded import EmbeddedIndex

    domain = domain or get_domain()
    data_dir.mkdir(parents=True, exist_ok=True)
    for stale in data_dir.glob("maillon.sqlite3*"):
        stale.unlink()
    index = EmbeddedIndex(data_dir / "maillon.sqlite3")
    index.check_model(embedder.name, embedder.dims)
    t0 = time.perf_counter()
    for kind in ("clusters", "members"):
        report = ingest(read_records(SAMPLE_DIR / f"{kind}.jsonl", kind), kind, index, embedder, domain)
        if not report.ok:
            raise RuntimeError(f"sample {kind} did not ingest: {report.errors[:3]}")
    done.write_text(f"built in {time.perf_counter() - t0:.0f}s\n")
    return data_dir
