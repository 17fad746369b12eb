"""Records and outcomes on a fake index and clock: no-show rules, follow-ups asked when due (also
when the queue is down), answered once, agreements moving the stage forward only."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.access.keys import Principal
from service.access.policy import Guard
from service.cooperation.outcomes import MeetingOutcomes
from service.cooperation.records import CooperationRecords
from service.cooperation.store import CooperationStore
from service.errors import BackendUnavailableError, ConflictError, InvalidRequestError

PROFILES = {("members", "de-fraise"): {"id": "de-fraise", "name": "Fräserei Lenz KG", "clusters": ["bw-mech"]},
            ("clusters", "pl-lodz"): {"id": "pl-lodz", "name": "Klaster Tekstylny Łódź"}}


class FakeIndex:
    def get(self, kind, pid):
        return PROFILES.get((kind, pid))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(tmp_path):
    store, clock, queued = CooperationStore(tmp_path / "c.sqlite3"), Clock(), []

    def build(principal, schedule=None):
        records = CooperationRecords(store, FakeIndex(), Guard(principal), clock=clock)
        return records, MeetingOutcomes(records, [timedelta(days=91), timedelta(days=182)], schedule)

    member = Principal("k1", "member", "de-fraise")
    records, outcomes = build(member, lambda fid, delay: queued.append((fid, delay)) or f"job-{len(queued)}")
    record = records.create({"parties": [{"kind": "members", "id": "de-fraise"}, {"kind": "clusters", "id": "pl-lodz"}],
                             "source": "encountered", "stage": "contact"})
    return store, clock, queued, build, member, record, outcomes


def test_a_no_show_has_no_rating_and_schedules_nothing(world) -> None:
    _, _, queued, _, _, record, outcomes = world
    meeting = {"date": "2026-09-01", "title": "Techtextil"}
    with pytest.raises(InvalidRequestError, match="no rating"):
        outcomes.record_outcome(record["id"], {"meeting": meeting, "held": False, "rating": 3})
    outcomes.record_outcome(record["id"], {"meeting": meeting, "held": False})
    assert queued == [] and outcomes.records.get(record["id"])["stage"] == "contact"


def test_follow_ups_are_asked_when_due_and_answered_once(world) -> None:
    store, clock, queued, build, member, record, outcomes = world
    outcomes.record_outcome(record["id"], {"meeting": {"date": "2026-09-01", "title": "Techtextil"}, "held": True,
                                           "rating": 4, "follow_up": True, "comment": "Muster schicken"})
    assert [d.days for _, d in queued] == [91, 182]
    assert outcomes.records.get(record["id"])["stage"] == "b2b_meetings"
    assert outcomes.ask_due() == [] and outcomes.open_questions() == []
    clock.now += timedelta(days=100)
    [asked] = outcomes.ask_due()
    assert [q["id"] for q in outcomes.open_questions()] == [asked]
    outcomes.answer(asked, {"agreement_signed": True, "agreement_type": "commercial"})
    with pytest.raises(ConflictError, match="answered already"):
        outcomes.answer(asked, {"agreement_signed": False})
    assert outcomes.records.get(record["id"])["stage"] == "first_agreement"
    outcomes.records.move(record["id"], "alliance", "signed the charter")
    later = store.follow_ups(status="scheduled")[0]["id"]
    with pytest.raises(InvalidRequestError, match="which type"):
        build(member)[1].answer(later, {"agreement_signed": True})
    outcomes.answer(later, {"agreement_signed": True, "agreement_type": "licence"})
    assert outcomes.records.get(record["id"])["stage"] == "alliance"  # answers never pull it back


def test_a_queue_outage_is_recorded_and_the_sweep_asks_later(world) -> None:
    store, clock, _, build, member, record, _ = world

    def down(fid, delay):
        raise BackendUnavailableError("job queue unavailable (Redis): connection refused")

    _, outcomes = build(member, down)
    outcomes.record_outcome(record["id"], {"meeting": {"date": "2026-09-02"}, "held": True})
    pending = store.follow_ups(status="scheduled")
    assert len(pending) == 2 and all("connection refused" in f["scheduling_error"] for f in pending)
    clock.now += timedelta(days=200)
    admin_outcomes = build(Principal("k0", "admin"))[1]
    assert len(admin_outcomes.ask_due()) == 2
