"""Pages of a cluster manager: the value chain chart, partner search with a map, consortia."""
from __future__ import annotations

from collections import Counter
from typing import Any

from flask import render_template, request

from service.web.blueprint import bp, principal, requires, services
from service.web.europe import map_data
from service.web.forms import VOCAB


def _cluster() -> str:
    """The manager's own cluster; an admin names one with ?cluster=."""
    who = principal()
    return request.args.get("cluster", "") if who.is_admin else who.subject


def _search_args() -> dict[str, str]:
    args = {k: request.args.get(k, "").strip() for k in ("target", "country", "cooperation_type")}
    args["target"] = args["target"] if args["target"] in ("clusters", "members") else "clusters"
    args["country"] = args["country"].upper()
    return args


@bp.get("/cluster")
@requires("cluster_manager")
def cluster_home() -> Any:
    svc = services()
    chain = svc.overview(principal()).value_chain(_cluster())
    return render_template("cluster/value_chain.html", chain=chain, domain=svc.domain)


@bp.get("/cluster/partners")
@requires("cluster_manager")
def partners() -> Any:
    args = _search_args()
    page = services().overview(principal()).partner_search(_cluster(), args["target"], args["country"] or None,
                                                            args["cooperation_type"] or None)
    counts = Counter(m.country for m in page.items if m.country)
    return render_template("cluster/partners.html", page=page, args=args, vocab=VOCAB,
                           map=map_data(dict(counts), page.seeker.get("country")))


@bp.get("/cluster/consortia")
@requires("cluster_manager")
def consortia() -> Any:
    svc = services()
    found = svc.overview(principal()).consortia(_cluster())
    return render_template("cluster/consortia.html", found=found, domain=svc.domain)
