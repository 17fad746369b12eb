"""The whole story through the API, with the real model, Redis and RQ worker (its scheduler asks
the follow-up questions): match → follow → request → meeting → outcomes → agreement → figures."""
from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest

from indexers.pipeline import ingest
from indexers.sources import read_records
from service import EXTENSION, create_app

DATA = Path(__file__).parent.parent / "data"
pytestmark = [pytest.mark.redis, pytest.mark.model]


@pytest.fixture
def story_app(worker_data_dir, embedder, redis_url, rq_worker):
    """Shares the worker's data dir and Redis; follow-ups come after seconds instead of months."""
    app = create_app({"data_dir": worker_data_dir, "embedder": embedder, "redis_url": redis_url,
                      "model_name": embedder.name, "pipeline": {"follow_up_delays": ["1 second", "3 seconds"]}})
    services = app.extensions[EXTENSION]
    for kind in ("clusters", "members"):
        ingest(read_records(DATA / f"match_{kind}.jsonl", kind), kind, services.index, embedder, services.domain)
    return app


def _client(app, role, subject=None):
    _, token = app.extensions[EXTENSION].keys.create(role, subject, f"story {role} {subject}")
    client = app.test_client()
    client.environ_base["HTTP_X_API_KEY"] = token
    return client


def test_from_match_to_agreement_and_figures(story_app) -> None:
    sme = _client(story_app, "member", "t-fr-sme")
    anodiser = _client(story_app, "member", "t-de-anodiser")
    organiser = _client(story_app, "organiser", "salon-b2b")
    aero_manager = _client(story_app, "cluster_manager", "t-fr-aero")
    outsider = _client(story_app, "member", "t-es-machinist")

    # 1. match, then follow the partner: the reasons and criteria are kept as they were
    page = sme.post("/matches", json={"seeker": {"kind": "members", "id": "t-fr-sme"}, "page_size": 20}).get_json()
    found = next(m for m in page["items"] if m["id"] == "t-de-anodiser")
    followed = sme.post("/cooperations/follow", json={"seeker": {"kind": "members", "id": "t-fr-sme"},
                                                      "partner": {"kind": "members", "id": "t-de-anodiser"}})
    assert followed.status_code == 201, followed.get_json()
    record = followed.get_json()
    assert record["stage"] == "identification" and record["source"] == "matched_by_maillon"
    assert record["match"]["sentence"] == found["sentence"]
    assert {k: v["contribution"] for k, v in record["match"]["criteria"].items()} == \
        {k: v["contribution"] for k, v in found["criteria"].items()}
    assert sme.post("/cooperations/follow", json={"seeker": {"kind": "members", "id": "t-fr-sme"},
                                                   "partner": {"kind": "members", "id": "t-de-anodiser"}}
                    ).status_code == 409  # one record per pair

    # 2. a meeting request at an event, accepted: it joins the same record
    event = organiser.post("/events", json={
        "title": "Rencontres d'affaires Aéro 2026", "days": ["2026-10-06"], "timezone": "Europe/Paris",
        "sessions": [{"start": "09:00", "end": "12:30"}], "slot_minutes": 20, "num_tables": 5}).get_json()["id"]
    # Members register themselves (an organiser could only invite them: consent for contact).
    p_sme = sme.post(f"/events/{event}/participants", json={"member_id": "t-fr-sme"}).get_json()["id"]
    p_ano = anodiser.post(f"/events/{event}/participants", json={"member_id": "t-de-anodiser"}).get_json()["id"]
    p_esp = outsider.post(f"/events/{event}/participants", json={"member_id": "t-es-machinist"}).get_json()["id"]
    rid = sme.post(f"/events/{event}/participants/{p_sme}/requests",
                   json={"to": p_ano, "note": "Anodisation de pièces 7075?"}).get_json()["id"]
    declined = outsider.post(f"/events/{event}/participants/{p_esp}/requests", json={"to": p_ano}).get_json()["id"]
    assert anodiser.post(f"/events/{event}/requests/{rid}/accept").status_code == 200
    assert anodiser.post(f"/events/{event}/requests/{declined}/decline").status_code == 200
    record = sme.get(f"/cooperations/{record['id']}").get_json()
    assert record["stage"] == "contact"
    assert record["meetings"][0]["event_id"] == event and record["meetings"][0]["request_id"] == rid
    assert [h["action"] for h in record["history"]][:2] == ["created", "meeting"]
    assert outsider.get("/cooperations").get_json() == []  # a decline opens no record

    # 3. outcomes from both sides; comments stay private to their author's side
    meeting = {"event_id": event, "request_id": rid}
    mine = sme.post(f"/cooperations/{record['id']}/outcomes", json={
        "meeting": meeting, "held": True, "rating": 5, "follow_up": True, "comment": "=HYPERLINK(\"x\") très bon"})
    assert mine.status_code == 201, mine.get_json()
    assert anodiser.post(f"/cooperations/{record['id']}/outcomes", json={
        "meeting": meeting, "held": True, "rating": 4, "follow_up": True,
        "comment": "Preis noch offen"}).status_code == 201
    theirs = anodiser.get(f"/cooperations/{record['id']}/outcomes").get_json()
    assert "très bon" not in str(theirs) and "Preis noch offen" in str(theirs)
    assert "Preis noch offen" not in str(sme.get(f"/cooperations/{record['id']}/outcomes").get_json())
    assert sme.get(f"/cooperations/{record['id']}").get_json()["stage"] == "b2b_meetings"

    # 4. the worker's scheduler asks the follow-up questions when due; the answer moves the record
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        questions = sme.get("/follow-ups").get_json()
        if len(questions) == 2:
            break
        time.sleep(0.5)
    assert len(questions) == 2, sme.get(f"/cooperations/{record['id']}/follow-ups").get_json()
    assert all(q["party"] == "t-fr-sme" for q in questions)
    assert anodiser.post(f"/follow-ups/{questions[0]['id']}", json={"agreement_signed": False}).status_code == 403
    answer = sme.post(f"/follow-ups/{questions[0]['id']}",
                      json={"agreement_signed": True, "agreement_type": "technology"})
    assert answer.status_code == 200, answer.get_json()
    record = anodiser.get(f"/cooperations/{record['id']}").get_json()
    assert record["stage"] == "first_agreement" and record["agreement_type"] == "technology"
    assert sme.get("/follow-ups").get_json()[0]["id"] == questions[1]["id"]

    # 5. the funnel figures, for the organiser (event) and the cluster manager (cluster)
    figures = organiser.get(f"/cooperation-figures?event_id={event}").get_json()
    assert figures["totals"] | {"mean_rating": None} == {
        "meetings_requested": 2, "meetings_accepted": 1, "meetings_declined": 1, "meetings_held": 1,
        "meetings_no_show": 0, "follow_ups_intended": 2, "mean_rating": None, "records": 1, "agreements": 1}
    assert figures["totals"]["mean_rating"] == 4.5
    stages = {row["stage"]: row for row in figures["stages"]}
    assert stages["first_agreement"]["records"] == 1 and stages["identification"]["reached"] == 1
    assert stages["b2b_meetings"]["conversion_to_next"] == 1.0
    assert stages["identification"]["median_days_in_stage"] is not None
    assert {a["type"]: a["count"] for a in figures["agreements_by_type"]}["technology"] == 1
    assert figures["series"]["months"] and len(figures["series"]["agreements"]) == len(figures["series"]["months"])
    rows = list(csv.DictReader(io.StringIO(aero_manager.get("/cooperation-figures.csv?cluster=t-fr-aero").data
                                           .decode())))
    assert {"scope": "cluster t-fr-aero", "metric": "agreements", "dimension": "", "period": "",
            "value": "1"} in rows
    assert organiser.get("/cooperation-figures?cluster=t-fr-aero").status_code == 403
    assert outsider.get(f"/cooperations/{record['id']}").status_code == 403


def _seed_outcomes(store, n: int = 160) -> None:
    """Past outcomes: good partners were those giving market access and trust."""
    import numpy as np

    from service.matching.weights import CRITERIA, PENALTY

    rng = np.random.default_rng(11)
    for i in range(n):
        scores = {"complementarity": rng.uniform(0.2, 0.9), "market_access": rng.choice([0.0, 1.0]),
                  "trust": rng.choice([0.0, 0.5, 1.0]), "cross_border": rng.uniform(0.4, 1), "capacity": rng.uniform()}
        good = scores["market_access"] + scores["trust"] + rng.normal(0, 0.3) > 1.0
        criteria = {k: {"score": float(scores.get(k, 0.0)), "weight": 0.1, "contribution": 0.0, "reason": None}
                    for k in (*CRITERIA, PENALTY)}
        store.put_record({
            "id": f"co-seed-{i}", "created_at": "2026-02-01T10:00:00Z", "stage": "contact", "agreement_type": None,
            "parties": [{"kind": "members", "id": f"seed-a{i}", "clusters": []},
                        {"kind": "members", "id": f"seed-b{i}", "clusters": []}],
            "signals": [{"kind": "accepted" if good else "declined"}], "meetings": [],
            "match": {"search_type": "members", "seeker": f"seed-s{i % 30}", "partner": f"seed-b{i}",
                      "criteria": criteria}})
        if good and i % 2:
            store.put_outcome({"record_id": f"co-seed-{i}", "meeting_key": f"x/{i}", "side": "0", "held": True,
                               "rating": 5, "at": "2026-03-01T10:00:00Z"})


def test_weights_fitted_by_the_worker_applied_by_an_admin_and_rolled_back(story_app) -> None:
    from tests.conftest import wait_for_job

    services = story_app.extensions[EXTENSION]
    admin, manager = _client(story_app, "admin"), _client(story_app, "cluster_manager", "t-fr-aero")
    sme = _client(story_app, "member", "t-fr-sme")
    assert manager.post("/weight-proposals", json={}).status_code == 403
    _seed_outcomes(services.cooperation_service(services.keys.verify(
        services.keys.create("admin", None, "seed")[1])).records.store)

    accepted = admin.post("/weight-proposals", json={"search_types": ["members", "clusters"]})
    assert accepted.status_code == 202, accepted.get_json()
    job = wait_for_job(admin, accepted.get_json()["job_id"])
    assert job["status"] == "finished", job
    by_type = {p["search_type"]: p for p in job["result"]["proposals"]}
    assert by_type["clusters"]["status"] == "too_few_examples" and "need" in by_type["clusters"]["message"]
    proposal = admin.get(f"/weight-proposals/{by_type['members']['id']}").get_json()
    assert proposal["status"] == "proposed" and proposal["gain"]["auc"] > 0
    fitted = proposal["fitted_weights"]

    before = sme.post("/matches", json={"seeker": {"kind": "members", "id": "t-fr-sme"}}).get_json()
    assert admin.post(f"/weight-proposals/{by_type['clusters']['id']}/apply").status_code == 409
    applied = admin.post(f"/weight-proposals/{proposal['id']}/apply")
    assert applied.status_code == 200 and applied.get_json()["previous"]["complementarity"] == 0.45
    after = sme.post("/matches", json={"seeker": {"kind": "members", "id": "t-fr-sme"}}).get_json()
    weight = {k: v["weight"] for k, v in after["items"][0]["criteria"].items()}
    assert weight["market_access"] == pytest.approx(fitted["market_access"], abs=2e-3)
    assert weight["competitor_penalty"] == pytest.approx(fitted["competitor_penalty"], abs=1e-4)

    assert admin.post("/weights/members/rollback").status_code == 200
    restored = sme.post("/matches", json={"seeker": {"kind": "members", "id": "t-fr-sme"}}).get_json()
    assert {k: v["weight"] for k, v in restored["items"][0]["criteria"].items()} == \
        {k: v["weight"] for k, v in before["items"][0]["criteria"].items()}
