"""What the CLI commands do, kept apart from argument parsing: ingest with a progress bar,
serve with its worker, and the demo."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from indexers.pipeline import IngestReport, ingest
from indexers.sources import read_records
from service.errors import InvalidRequestError

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"
MAX_ERRORS_SHOWN = 20


def run_ingest(services: Any, kind: str, path: Path, fmt: str | None, batch_size: int,
               json_report: bool = False) -> int:
    """One file; a file that cannot be read is reported and returns 2, so the caller goes on
    with the next file."""
    try:
        records = list(read_records(path, kind, fmt, max_records=services.domain.limits["records_per_file"]))
        embedder = services.embedder
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


def start_workers(services: Any, count: int, data_dir: Path | None) -> list[subprocess.Popen[bytes]]:
    """Worker processes beside a development server, pointed at the same store and Redis."""
    env = dict(os.environ, REDIS_URL=services.redis_url(),
               MAILLON_DATA_DIR=str(services.settings.data_dir))
    command = [sys.executable, "-m", "indexers", "worker"]
    return [subprocess.Popen(command, env=env) for _ in range(count)]


def serve(services: Any, host: str, port: int, workers: int, data_dir: Path | None) -> None:
    from service import EXTENSION, create_app

    procs = start_workers(services, workers, data_dir) if workers else []
    try:
        app = create_app({"data_dir": services.settings.data_dir, "redis_url": services.redis_url(),
                          "embedder": services.embedder})
        app.extensions[EXTENSION]._local_redis = services._local_redis
        click.echo(f"API on http://{host}:{port}/  (docs: /docs, spec: /openapi.json); Ctrl-C stops")
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        for proc in procs:
            proc.terminate()


def run_demo(services: Any) -> str:
    """Ingest the sample data and show the showcase matches; returns a fresh admin key."""
    _, token = services.keys.create("admin", None, "demo")
    for kind in ("clusters", "members"):
        path = SAMPLE_DIR / f"{kind}.jsonl"
        run_ingest(services, kind, path, None, 256)
    from indexers.demo_match import show_demo_match

    show_demo_match(services)
    return token
