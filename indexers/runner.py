"""What the ingest and demo commands do, kept apart from argument parsing."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from indexers.pipeline import IngestReport, ingest
from indexers.sources import read_records
from service.errors import InvalidRequestError

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"
SAMPLE_VECTORS = SAMPLE_DIR / "vectors.npz"
MAX_ERRORS_SHOWN = 20


def run_ingest(services: Any, kind: str, path: Path, fmt: str | None, batch_size: int,
               json_report: bool = False, embedder: Any = None) -> int:
    """One file; a file that cannot be read is reported and returns 2, so the caller goes on
    with the next file. `embedder` replaces the model (the demo's cached vectors)."""
    try:
        records = list(read_records(path, kind, fmt, max_records=services.domain.limits["records_per_file"]))
        embedder = embedder or services.embedder
        with tqdm(total=len(records), unit="rec", desc=f"{path.name}", disable=len(records) < 500,
                  file=sys.stderr) as bar:
            report = ingest(records, kind, services.index, embedder, services.domain,
                            source=path.name, batch_size=batch_size,
                            progress=lambda done, _total: bar.update(done - bar.n))
    except InvalidRequestError as exc:
        click.echo(f"{path.name}: {exc.message}", err=True)
        return 2
    except OSError as exc:
        click.echo(f"{path.name}: cannot read the file: {exc.strerror or exc}", err=True)
        return 2
    if report.embedded_texts:  # the model is loaded: store the label vectors later matches read
        services.warm_labels()
    if json_report:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report)
    return 0 if report.ok else 1


def print_report(report: IngestReport) -> None:
    click.echo(
        f"{report.source}: {report.read} read, {report.inserted} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.invalid} rejected "
        f"({report.embedded_texts} texts embedded in {report.seconds:.1f}s)")
    for err in report.errors[:MAX_ERRORS_SHOWN]:
        click.echo(f"  error   {err['locator']}: {err['field']}: {err['message']}", err=True)
    if len(report.errors) > MAX_ERRORS_SHOWN:
        click.echo(f"  ... {len(report.errors) - MAX_ERRORS_SHOWN} more errors (--json-report)", err=True)
    for warn in report.warnings[:5]:
        click.echo(f"  warning {warn['locator']}: {warn['field']}: {warn['message']}", err=True)


def run_demo(services: Any, port: int) -> list[str]:
    """Ingest the sample data (with its shipped vectors when they fit the model) and show the
    showcase matches; returns the lines to print: a fresh admin key and what to try."""
    from indexers import vector_cache
    from indexers.demo_match import show_demo_match

    started = time.monotonic()
    prefer = getattr(services.embedder, "prefer_backend", None)
    if prefer is not None and SAMPLE_VECTORS.is_file():  # a new store takes the shipped vectors' backend
        prefer(vector_cache.made_on(SAMPLE_VECTORS))
    cached = vector_cache.load(SAMPLE_VECTORS, services.embedder)
    for kind in ("clusters", "members"):
        run_ingest(services, kind, SAMPLE_DIR / f"{kind}.jsonl", None, 256, embedder=cached)
    if cached is not None:
        click.echo(f"(sample vectors: {cached.hits} from {SAMPLE_VECTORS.name}, {cached.misses} embedded now)",
                   err=True)
    show_demo_match(services)
    click.echo(f"\n(first answers in {time.monotonic() - started:.1f}s after the model loaded)", err=True)
    # Only now, at the lowest priority: the int8 export for the next new data dir (MAILLON_EMBED_BACKEND=auto).
    getattr(services.embedder, "prepare_fastest", lambda: None)()
    from service.web.demo import demo_signin_links

    _, token = services.keys.create("admin", None, "demo")
    base = f"http://127.0.0.1:{port}"
    lines = ["", click.style(f"Demo admin API key: {token}", bold=True),
             f"  curl -H 'X-API-Key: {token}' {base}/clusters?country=DE",
             f"  curl -H 'X-API-Key: {token}' -H 'Content-Type: application/json' "
             f"-d '{{\"text\": \"anodisation de pièces en aluminium\"}}' {base}/matches",
             "", click.style(f"Web app: {base}/  (each link signs in once, for three days)", bold=True)]
    lines += [f"  demo {role.replace('_', ' ')}: {url}" for role, url in demo_signin_links(services, base).items()]
    return lines
