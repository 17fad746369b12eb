"""`maillon match`: a ranked table of complementary partners with their reasons."""
from __future__ import annotations

import json
import shutil
import textwrap
from dataclasses import asdict
from typing import Any

import click

CRITERIA_SHORT = {"complementarity": "need↔offer", "gap_filling": "gaps", "cross_border": "border",
                  "market_access": "market", "scope": "scope", "maturity": "maturity", "trust": "trust",
                  "capacity": "capacity", "competitor_penalty": "competitor"}


# CLI option → the API's request field, so both are validated by the same schema.
_OPTION_FIELDS = {"cooperation_type": "cooperation_type", "countries": "countries",
                  "exclude_countries": "exclude_countries", "foreign_only": "foreign_only",
                  "target": "target", "country": "country", "text": "text"}


def parse_request(opts: dict[str, Any], consortium: bool = False) -> dict[str, Any]:
    """The options as the API would receive them, loaded by the API's own schema (countries by
    code or name in any language, cooperation types, limits), so the CLI accepts what the API does."""
    from marshmallow import ValidationError

    from service.api.match_schemas import ConsortiumRequestSchema, MatchRequestSchema

    seekers = [(kind, opts[key]) for key, kind in (("cluster", "clusters"), ("member", "members")) if opts.get(key)]
    if len(seekers) + bool(opts.get("text")) != 1:
        raise click.UsageError("give one of --cluster ID, --member ID or --text TEXT")
    raw: dict[str, Any] = {field: opts[option] for option, field in _OPTION_FIELDS.items()
                           if opts.get(option) not in (None, ())}
    raw = {k: list(v) if isinstance(v, tuple) else v for k, v in raw.items()}
    if seekers:
        raw["seeker"] = {"kind": seekers[0][0], "id": seekers[0][1]}
    raw["page_size"] = opts["limit"]
    schema = ConsortiumRequestSchema() if consortium else MatchRequestSchema()
    try:
        return schema.load(raw)
    except ValidationError as exc:
        names = {v: f"--{k.replace('_', '-')}" for k, v in _OPTION_FIELDS.items()} | {
            "countries": "--in", "exclude_countries": "--exclude", "cooperation_type": "--type",
            "page_size": "--limit", "seeker": "--cluster/--member"}
        problems = "; ".join(
            f"{names.get(field, field)}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
            for field, msgs in exc.messages.items())
        raise click.UsageError(problems) from exc


def print_page(page: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"seeker": page.seeker, "total": page.total,
                               "items": [asdict(m) for m in page.items]}, ensure_ascii=False, indent=2))
        return
    width = min(shutil.get_terminal_size((110, 20)).columns, 140)
    seeker = page.seeker
    click.secho(f"Partners for {seeker['name']}"
                f"{' (' + seeker['country'] + ')' if seeker.get('country') else ''} — "
                f"{page.total} candidates, best {len(page.items)}", bold=True)
    if seeker.get("gaps"):
        click.echo("  gaps: " + ", ".join(f"{k} ({v})" for k, v in seeker["gaps"].items()))
    for rank, m in enumerate(page.items, 1):
        click.echo()
        click.secho(f"{rank:>2}. {m.score:5.3f}  {m.name} [{m.id}] {m.country or ''}", fg="green", bold=True)
        contribs = [f"{CRITERIA_SHORT[k]} {v['contribution']:+.2f}" for k, v in m.criteria.items()
                    if abs(v["contribution"]) >= 0.005]
        click.echo(textwrap.fill("    " + " | ".join(contribs), width, subsequent_indent="    "))
        click.echo(textwrap.fill(m.sentence, width, initial_indent="    ", subsequent_indent="    "))
        for pair in m.pairs[:2]:  # both texts shown, each shortened on its own
            forward = pair["direction"] == "forward"
            room = max(20, (width - 30) // 2)
            need = textwrap.shorten(pair["need"], room, placeholder=" …")
            offer = textwrap.shorten(pair["offer"], room, placeholder=" …")
            whose = ("your need", "their offer") if forward else ("their need", "your offer")
            arrow = "→" if forward else "←"
            click.echo(f"      {arrow} {pair['similarity']:.2f} {whose[0]} “{need}” ↔ {whose[1]} “{offer}”")


def print_consortia(result: dict[str, Any], as_json: bool) -> None:
    """Each proposed team as a table: who covers which value-chain link."""
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    seeker = result["seeker"]
    click.secho(f"Consortia for {seeker['name']} — gaps: "
                f"{', '.join(seeker.get('gaps') or {}) or 'none declared'}", bold=True)
    if not result["consortia"]:
        click.echo("  no team of partners fills a gap")
    for rank, team in enumerate(result["consortia"], 1):
        click.echo()
        click.secho(f"{rank}. score {team['score']:.3f}, covers {team['coverage']:.0%} of the gaps",
                    fg="green", bold=True)
        width = max([len(p["name"]) for p in team["partners"]] + [7])
        click.echo(f"    {'partner':<{width}}  country  covers")
        for partner in team["partners"]:
            covers = ", ".join(g for g in partner.get("gap_links") or [] if g in team["covered"]) or "-"
            click.echo(f"    {partner['name']:<{width}}  {partner.get('country') or '':<7}  {covers}")
        if team["uncovered"]:
            click.echo(f"    uncovered: {', '.join(team['uncovered'])}")
