"""`maillon cooperation ...`: fit weights from outcomes, list, apply and roll back proposals, and
ask the follow-up questions that are due. The command line acts as the operator, named so."""
from __future__ import annotations

import getpass
import json
from typing import Any

import click

from service.access.keys import Principal


def _operator() -> Principal:
    return Principal(f"cli:{getpass.getuser()}", "admin", None)


def _cooperation(ctx: click.Context) -> Any:
    from service.cli.main import services_of

    return services_of(ctx).cooperation_service(_operator())


@click.group("cooperation")
def cooperation() -> None:
    """The cooperation pipeline: weights learned from outcomes, follow-up questions."""


@cooperation.command("learn")
@click.option("--search-type", "search_types", multiple=True, type=click.Choice(["clusters", "members", "text"]),
              help="Fit only these search types (repeatable; default: clusters and members).")
@click.option("--enqueue", is_flag=True, help="Run as a background job on the RQ worker.")
@click.pass_context
def learn_cmd(ctx: click.Context, search_types: tuple[str, ...], enqueue: bool) -> None:
    """Fit weights per search type from outcomes and write proposals (nothing changes until applied)."""
    service = _cooperation(ctx)
    if enqueue:
        caller = {"key_id": _operator().key_id, "role": "admin", "subject": None}
        job_id = service.weights.start(list(search_types) or None, caller, ctx.find_root().obj["services"].queue)
        click.echo(f"queued as job {job_id}")
        return
    for p in service.weights.propose(list(search_types) or None):
        click.echo(format_proposal(p))


def format_proposal(p: dict[str, Any]) -> str:
    head = f"{p['id']}  {p['search_type']}: {p['status']}"
    if p["status"] != "proposed" and p["status"] != "applied":
        return f"{head}\n  {p.get('message', '')}"
    cv = p["cross_validation"]
    lines = [head, f"  examples {p['examples']} ({p['positives']} good, {p['negatives']} poor), "
                   f"{cv['folds']} folds{' by seeker' if cv['grouped_by_seeker'] else ''}",
             f"  {'criterion':<20} {'current':>8} {'fitted':>8}"]
    lines += [f"  {row['criterion']:<20} {row['current']:>8.3f} {row['fitted']:>8.3f}" for row in p["side_by_side"]]
    for metric in ("auc", "ndcg"):
        cur, fit = cv.get(f"{metric}_current"), cv.get(f"{metric}_fitted")
        if cur and fit:
            lines.append(f"  {metric.upper():<20} {cur['mean']:>8.3f} {fit['mean']:>8.3f}  (± {fit['std']:.3f})")
    return "\n".join(lines)


@cooperation.command("proposals")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def proposals_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the weight proposals, newest first."""
    found = _cooperation(ctx).weights.proposals()
    click.echo(json.dumps(found, ensure_ascii=False, indent=2) if as_json
               else "\n".join(format_proposal(p) for p in found) or "no proposals")


@cooperation.command("apply")
@click.argument("proposal_id")
@click.pass_context
def apply_cmd(ctx: click.Context, proposal_id: str) -> None:
    """Apply a proposal's weights to matching; the weights in use before are kept."""
    version = _cooperation(ctx).weights.apply(proposal_id)
    click.echo(f"{version['search_type']}: version {version['version']} applied ({version['why']})")


@cooperation.command("rollback")
@click.argument("search_type", type=click.Choice(["clusters", "members", "text"]))
@click.pass_context
def rollback_cmd(ctx: click.Context, search_type: str) -> None:
    """Return to the weights in use before the last applied version."""
    version = _cooperation(ctx).weights.rollback(search_type)
    click.echo(f"{search_type}: version {version['version']} ({version['why']})")


@cooperation.command("ask-due")
@click.pass_context
def ask_due_cmd(ctx: click.Context) -> None:
    """Ask every follow-up question that is due (when the queue lost or never ran its job)."""
    asked = _cooperation(ctx).outcomes.ask_due()
    click.echo(f"asked {len(asked)} follow-up question(s)")
