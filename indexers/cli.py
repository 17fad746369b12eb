"""The full `maillon` command: the service's commands plus ingest, reindex and the demo."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from service.cli.main import main, services_of
from service.cli.main import run as run_group


@main.command("ingest")
@click.argument("kind", type=click.Choice(["clusters", "members"]))
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "jsonl", "xlsx"]), default=None,
              help="Override the format guessed from the file name.")
@click.option("--batch-size", default=256, show_default=True, help="Profiles embedded per batch.")
@click.option("--json-report", is_flag=True, help="Print the full report as JSON.")
@click.option("--enqueue", is_flag=True, help="Run as a background job on the RQ worker.")
@click.pass_context
def ingest_cmd(ctx: click.Context, kind: str, files: tuple[Path, ...], fmt: str | None,
               batch_size: int, json_report: bool, enqueue: bool) -> None:
    """Validate, normalise, embed and upsert profiles from CSV, JSON, JSONL or XLSX FILES.

    Exit status: 0 all records ingested, 1 some records rejected, 2 a file could not be read.
    """
    from indexers.runner import run_ingest

    services = services_of(ctx)
    status = 0
    for path in files:
        if enqueue:
            job_id = services.queue.enqueue("indexers.jobs.ingest_file", kind, str(path.resolve()), path.name)
            click.echo(f"{path.name}: queued as job {job_id}")
            continue
        status = max(status, run_ingest(services, kind, path, fmt, batch_size, json_report))
    sys.exit(status)


@main.command("demo")
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve the API afterwards.")
@click.option("--port", default=5000, show_default=True)
@click.pass_context
def demo_cmd(ctx: click.Context, serve: bool, port: int) -> None:
    """Ingest the bundled sample data, answer sample match requests, then serve the API and web app
    (into ./var/demo unless --data-dir says otherwise)."""
    from indexers.runner import run_demo
    from service.cli.serve import serve as serve_api

    root = ctx.find_root()
    if root.obj.get("data_dir") is None:
        root.obj["data_dir"] = Path("var/demo")
    services = services_of(ctx)
    banner = run_demo(services, port)
    if serve:
        serve_api(services, "127.0.0.1", port, 1, banner)  # printed once the server is up
        return
    for line in banner:
        click.echo(line)


@main.command("reindex")
@click.option("--to", "target", type=click.Choice(["elasticsearch", "embedded"]), required=True,
              help="The backend to copy everything into (vectors included).")
@click.pass_context
def reindex_cmd(ctx: click.Context, target: str) -> None:
    """Copy every profile from the configured backend to the other one, with a progress bar."""
    from indexers.reindex import run_reindex

    counts = run_reindex(services_of(ctx).settings, target)
    click.echo(f"copied {counts}")


def run() -> None:  # pragma: no cover - console entry
    run_group(main)
