"""The demo's match requests, on the showcase profiles of the bundled sample data."""
from __future__ import annotations

from typing import Any

import click

from service.access.keys import SYSTEM
from service.cli.match import print_page
from service.matching.filters import MatchRequest

SHOWCASES = [
    MatchRequest(target="clusters", seeker_kind="clusters", seeker_id="fr-pole-aeronautique-occitanie", limit=3),
    MatchRequest(target="members", seeker_kind="members", seeker_id="fr-pole-aeronautique-occitanie-0001",
                 limit=3),
    MatchRequest(target="members", text="nous cherchons un partenaire en traitement de surface pour pièces "
                 "aéronautiques", country="FR", limit=3),
]


def show_demo_match(services: Any) -> None:
    service = services.match_service(SYSTEM)
    for req in SHOWCASES:
        if req.seeker_id and services.index.get(req.seeker_kind, req.seeker_id) is None:
            continue
        click.echo()
        if req.text:
            click.secho(f"Free-text need: “{req.text}”", bold=True)
        print_page(service.find(req), as_json=False)
