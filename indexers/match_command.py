"""`maillon match`: a ranked table of complementary partners with their reasons."""
from __future__ import annotations

import json
import shutil
import textwrap
from dataclasses import asdict
from typing import Any

import click

from service.matching.filters import MatchRequest

CRITERIA_SHORT = {"complementarity": "need↔offer", "gap_filling": "gaps", "cross_border": "border",
                  "market_access": "market", "scope": "scope", "maturity": "maturity", "trust": "trust",
                  "capacity": "capacity", "competitor_penalty": "competitor"}


def request_from_options(opts: dict[str, Any]) -> MatchRequest:
    seeker_kind = "clusters" if opts["cluster"] else "members" if opts["member"] else None
    seeker_id = opts["cluster"] or opts["member"]
    if bool(seeker_id) == bool(opts["text"]):
        raise click.UsageError("give one of --cluster ID, --member ID or --text TEXT")
    return MatchRequest(
        target=opts["target"] or seeker_kind or "members", seeker_kind=seeker_kind, seeker_id=seeker_id,
        text=opts["text"], country=opts["country"], cooperation_type=opts["type"],
        countries=frozenset(c.upper() for c in opts["countries"]),
        exclude_countries=frozenset(c.upper() for c in opts["exclude"]),
        foreign_only=opts["foreign_only"], limit=opts["limit"])


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
