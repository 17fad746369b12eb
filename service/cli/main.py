"""The `maillon` command group and the service's own commands: serve, worker, match, keys, agenda.

Ingestion, reindex and the demo add themselves from `indexers` (see indexers/cli.py): the
service never imports indexers.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from service.access.keys import SYSTEM
from service.errors import ServiceError


def services_of(ctx: click.Context) -> Any:
    """The process's Services, built once from the settings and --data-dir."""
    from service.container import build_services
    from service.cpu import limit_threads
    from service.settings import load_settings

    root = ctx.find_root()
    if "services" not in root.obj:
        overrides = {"data_dir": root.obj["data_dir"]} if root.obj.get("data_dir") else {}
        settings = load_settings(overrides)
        limit_threads(settings.cpu_threads)
        root.obj["services"] = build_services(settings)
    return root.obj["services"]


class LazyGroup(click.Group):
    """Subcommand groups imported when named: the agenda's solver pulls in scipy, seconds of a
    cold start that `maillon match` does not need."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attr = self.lazy[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy={"agenda": "service.cli.agenda:agenda"})
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Where the embedded store lives (default: MAILLON_DATA_DIR or ./var).")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """Maillon: complementary partner matching and B2B agendas."""
    ctx.ensure_object(dict)
    ctx.obj["data_dir"] = data_dir


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="RQ workers to start beside the API.")
@click.pass_context
def serve_cmd(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Run the API for development, with its workers and Redis; SIGTERM or Ctrl-C stops them all.

    Production: gunicorn -c deploy/gunicorn.conf.py 'service:create_app()'."""
    from service.cli.serve import serve

    serve(services_of(ctx), host, port, workers)


@main.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
@click.pass_context
def worker_cmd(ctx: click.Context, burst: bool) -> None:
    """Run an RQ worker with the model preloaded."""
    from service.worker import run_worker

    run_worker(services_of(ctx), burst=burst)


@main.command("match")
@click.option("--cluster", help="Find partners for this cluster id.")
@click.option("--member", help="Find partners for this member id.")
@click.option("--text", help="Find partners for a need written in any supported language.")
@click.option("--target", type=click.Choice(["clusters", "members"]), help="What to search.")
@click.option("--country", help="Your country, with --text (a code or a name in any language).")
@click.option("--type", "cooperation_type", help="Cooperation type sought (supplier, client, ...).")
@click.option("--in", "countries", multiple=True, help="Only partners in this country (repeatable).")
@click.option("--exclude", "exclude_countries", multiple=True, help="No partners in this country (repeatable).")
@click.option("--foreign-only/--any-country", default=None, help="Default: foreign-only for clusters.")
@click.option("--limit", default=10, show_default=True)
@click.option("--consortium", is_flag=True, help="Propose teams that fill the value-chain gaps.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def match_cmd(ctx: click.Context, consortium: bool, as_json: bool, **opts: Any) -> None:
    """Rank complementary partners, with the reasons for each."""
    from service.cli.match import parse_request, print_consortia, print_page

    services = services_of(ctx)
    services.one_shot = True  # a free-text need is embedded once, then the process exits
    service = services.match_service(SYSTEM)
    args = parse_request(opts, consortium)
    req = service.build_request(args)
    if consortium:
        print_consortia(service.consortia(req, max_size=args["max_size"]), as_json)
        return
    print_page(service.find(req), as_json)


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
    key_id, token = services_of(ctx).keys.create(role, subject, name)
    click.echo(f"key id {key_id} ({role}{' ' + subject if subject else ''}):")
    click.echo(token)


@keys_group.command("list")
@click.pass_context
def keys_list(ctx: click.Context) -> None:
    """List keys (never the tokens)."""
    for key in services_of(ctx).keys.list():
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else "active"
        click.echo(f"{key['id']}  {key['role']:<15} {key['subject'] or '-':<40} {state}  {key['name'] or ''}")


@keys_group.command("revoke")
@click.argument("key_id")
@click.pass_context
def keys_revoke(ctx: click.Context, key_id: str) -> None:
    """Revoke a key by its id."""
    services_of(ctx).keys.revoke(key_id)
    click.echo(f"revoked {key_id}")


def _register_groups() -> None:
    from service.cooperation.cli import cooperation

    main.add_command(cooperation)


_register_groups()


def run(group: click.Group = main) -> None:  # pragma: no cover - console entry
    try:
        group(obj={})
    except ServiceError as exc:
        click.echo(f"error: {exc.message}", err=True)
        for problem in (exc.errors or [])[:20] if isinstance(exc.errors, list) else []:
            click.echo(f"  {problem}", err=True)
        sys.exit(2)
