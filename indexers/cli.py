"""The `maillon` command line: ingest, serve, worker, demo (and later match, agenda, reindex)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from service.errors import ServiceError


def _services(ctx: click.Context) -> Any:
    from service.container import build_services
    from service.settings import load_settings

    if "services" not in ctx.obj:
        overrides = {"data_dir": ctx.obj["data_dir"]} if ctx.obj.get("data_dir") else {}
        ctx.obj["services"] = build_services(load_settings(overrides))
    return ctx.obj["services"]


@click.group()
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Where the embedded store lives (default: MAILLON_DATA_DIR or ./var).")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """Maillon: complementary partner matching and B2B agendas."""
    ctx.ensure_object(dict)
    ctx.obj["data_dir"] = data_dir


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

    services = _services(ctx)
    status = 0
    for path in files:
        if enqueue:
            job_id = services.queue.enqueue("indexers.jobs.ingest_file", kind, str(path.resolve()), path.name)
            click.echo(f"{path.name}: queued as job {job_id}")
            continue
        status = max(status, run_ingest(services, kind, path, fmt, batch_size, json_report))
    sys.exit(status)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="RQ workers to start beside the API.")
@click.pass_context
def serve_cmd(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Run the API for development (production: gunicorn -c deploy/gunicorn.conf.py)."""
    from indexers.runner import serve

    serve(_services(ctx), host, port, workers, ctx.obj.get("data_dir"))


@main.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.pass_context
def worker_cmd(ctx: click.Context, burst: bool) -> None:
    """Run an RQ worker with the model preloaded."""
    from service.worker import run_worker

    run_worker(_services(ctx), burst=burst)


@main.command("match")
@click.option("--cluster", help="Find partners for this cluster id.")
@click.option("--member", help="Find partners for this member id.")
@click.option("--text", help="Find partners for a need written in any supported language.")
@click.option("--target", type=click.Choice(["clusters", "members"]), help="What to search.")
@click.option("--country", help="Your country, with --text.")
@click.option("--type", type=click.Choice(["client", "distributor", "supplier", "licence",
              "technology_partner", "research_partner", "investor", "consortium_partner"]),
              help="Cooperation type sought.")
@click.option("--in", "countries", multiple=True, help="Only partners in this country (repeatable).")
@click.option("--exclude", multiple=True, help="No partners in this country (repeatable).")
@click.option("--foreign-only/--any-country", default=None, help="Default: foreign-only for clusters.")
@click.option("--limit", default=10, show_default=True)
@click.option("--consortium", is_flag=True, help="Propose teams that fill the value-chain gaps.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def match_cmd(ctx: click.Context, **opts: Any) -> None:
    """Rank complementary partners, with the reasons for each."""
    from indexers.match_command import print_page, request_from_options

    service = _services(ctx).match_service()
    req = request_from_options(opts)
    if opts["consortium"]:
        _print_json(service.consortia(req))
        return
    print_page(service.find(req), opts["as_json"])


@main.command("demo")
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve the API afterwards.")
@click.option("--port", default=5000, show_default=True)
@click.pass_context
def demo_cmd(ctx: click.Context, serve: bool, port: int) -> None:
    """Ingest the bundled sample data, answer a sample match request, then serve the API."""
    from indexers.runner import run_demo
    from indexers.runner import serve as serve_api

    if ctx.obj.get("data_dir") is None:
        ctx.obj["data_dir"] = Path("var/demo")
    services = _services(ctx)
    token = run_demo(services)
    click.echo()
    click.secho(f"Demo admin API key: {token}", bold=True)
    click.echo(f"  curl -H 'X-API-Key: {token}' http://127.0.0.1:{port}/clusters?country=DE")
    click.echo(f"  curl -H 'X-API-Key: {token}' -H 'Content-Type: application/json' "
               f"-d '{{\"text\": \"anodisation de pièces en aluminium\"}}' http://127.0.0.1:{port}/matches")
    # -- web app (issue 14): sign-in links for the demo organiser, SME and cluster manager ------
    from service.web.demo import demo_signin_links

    click.echo(f"\nWeb app: http://127.0.0.1:{port}/  (each link signs in once, for three days)")
    for role, url in demo_signin_links(services, f"http://127.0.0.1:{port}").items():
        click.echo(f"  demo {role.replace('_', ' ')}: {url}")
    # -- end of the web app's part ------------------------------------------------------------
    if serve:
        serve_api(services, "127.0.0.1", port, 1, ctx.obj["data_dir"])


@main.command("reindex")
@click.option("--to", "target", type=click.Choice(["elasticsearch", "embedded"]), required=True,
              help="The backend to copy everything into (vectors included).")
@click.pass_context
def reindex_cmd(ctx: click.Context, target: str) -> None:
    """Copy every profile from the configured backend to the other one, with a progress bar."""
    from indexers.reindex import run_reindex

    counts = run_reindex(_services(ctx).settings, target)
    click.echo(f"copied {counts}")


@main.group("keys")
def keys_group() -> None:
    """API keys: create (shown once), list, revoke."""


@keys_group.command("create")
@click.option("--role", type=click.Choice(["admin", "organiser", "cluster_manager", "member"]), required=True)
@click.option("--subject", help="What the key acts for: cluster id, member id or organiser name.")
@click.option("--name", default="", help="A label, e.g. who holds the key.")
@click.pass_context
def keys_create(ctx: click.Context, role: str, subject: str | None, name: str) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    key_id, token = _services(ctx).keys.create(role, subject, name)
    click.echo(f"key id {key_id} ({role}{' ' + subject if subject else ''}):")
    click.echo(token)


@keys_group.command("list")
@click.pass_context
def keys_list(ctx: click.Context) -> None:
    """List keys (never the tokens)."""
    for key in _services(ctx).keys.list():
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else "active"
        click.echo(f"{key['id']}  {key['role']:<15} {key['subject'] or '-':<40} {state}  {key['name'] or ''}")


@keys_group.command("revoke")
@click.argument("key_id")
@click.pass_context
def keys_revoke(ctx: click.Context, key_id: str) -> None:
    """Revoke a key by its id."""
    _services(ctx).keys.revoke(key_id)
    click.echo(f"revoked {key_id}")


def _register_groups() -> None:
    from indexers.agenda_command import agenda

    main.add_command(agenda)


_register_groups()


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def run() -> None:  # pragma: no cover - console entry
    try:
        main(obj={})
    except ServiceError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
