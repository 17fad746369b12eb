"""Deterministic synthetic brokerage events (and late-change deltas) for tests and benchmarks."""
from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from service.agenda.model import Delta, Instance, Participant, Request, Schedule, Slot, pair_key

_ORG_TYPES = ("SME", "SME", "SME", "large_company", "research_organisation", "school")
_COUNTRIES = ("FR", "DE", "ES", "IT", "BE", "NL", "PL", "PT")
_SECTORS = ("aeronautics", "automotive", "agrifood", "health", "energy", "digital")
BENCH_SIZES: dict[str, tuple[int, int, int, int]] = {
    "small": (40, 150, 12, 15),
    "medium": (300, 2_000, 24, 100),
    "large": (1_500, 12_000, 32, 400),
    "huge": (5_000, 50_000, 40, 1_500),
}


def make_slots(num_slots: int, days: int, first_day: str = "2026-03-10",
               slot_minutes: int = 20) -> list[Slot]:
    """Slots split over `days`, each day a morning and an afternoon session."""
    per_day = math.ceil(num_slots / days)
    day0 = datetime.fromisoformat(first_day)
    slots: list[Slot] = []
    for i in range(num_slots):
        d, k = divmod(i, per_day)
        start = day0 + timedelta(days=d, hours=9, minutes=k * slot_minutes)
        if k >= (per_day + 1) // 2:  # lunch break of 90 minutes between the sessions
            start += timedelta(minutes=90)
        end = start + timedelta(minutes=slot_minutes)
        slots.append(Slot(i, d, start.isoformat(timespec="minutes"),
                          end.isoformat(timespec="minutes")))
    return slots


def _availability(rng: random.Random, n: int, per_day: int, days: int, partial_share: float = 0.3
                  ) -> tuple[tuple[int, int], ...] | None:
    if rng.random() < 1 - partial_share or n < 2:
        return None
    kind = rng.random()
    if days > 1 and kind < 0.4:  # only one of the days
        d = rng.randrange(days)
        if d * per_day < n:
            return ((d * per_day, min(n, (d + 1) * per_day)),)
    if kind < 0.7 or n < 4:  # arrives late or leaves early
        cut = rng.randrange(1, n)
        return ((0, cut),) if rng.random() < 0.5 else ((cut, n),)
    a = rng.randrange(1, n // 2)  # a hole in the middle (another appointment)
    b = min(n - 1, a + rng.randrange(1, max(2, n // 3)))
    return ((0, a), (b, n))


def generate_instance(participants: int, requests: int, slots: int, tables: int, seed: int,
                      days: int | None = None, name: str | None = None,
                      fixed_share: float = 0.05, partial_share: float = 0.3) -> Instance:
    """A realistic event: Zipf-like popularity, partial availability, exhibitors' tables."""
    rng = random.Random(seed)
    days = days or (1 if slots <= 16 else 2)
    per_day = math.ceil(slots / days)
    slot_list = make_slots(slots, days)
    n_fixed = min(round(participants * fixed_share), tables)
    fixed_who = set(rng.sample(range(participants), n_fixed))
    fixed_tables = iter(range(tables - 1, tables - 1 - n_fixed, -1))
    people: list[Participant] = []
    for i in range(participants):
        country = rng.choice(_COUNTRIES)
        people.append(Participant(
            id=f"p{i:05d}", name=f"{rng.choice(('Sme', 'Org', 'Lab'))} {country}-{i:05d}",
            org_type=rng.choice(_ORG_TYPES), country=country, sector=rng.choice(_SECTORS),
            max_meetings=None if rng.random() < 0.05 else rng.randint(4, 12),
            availability=_availability(rng, slots, per_day, days, partial_share),
            fixed_table=next(fixed_tables) if i in fixed_who else None))
    reqs = _requests(rng, [p.id for p in people], requests, datetime(2026, 2, 1, 8, 0), "r")
    return Instance(name=name or f"gen-{participants}-{seed}",
                    event={"title": f"Generated B2B event ({participants} participants)",
                           "slot_minutes": 20, "days": days, "first_day": "2026-03-10"},
                    slots=slot_list, num_tables=tables, participants=people, requests=reqs)


def _requests(rng: random.Random, ids: list[str], count: int, t0: datetime, prefix: str,
              seen: set[tuple[str, str]] | None = None, first: int = 0,
              targets: list[str] | None = None) -> list[Request]:
    seen = set() if seen is None else seen
    targets = targets or ids
    # Zipf-like popularity of targets: a few participants attract most requests.
    cum, acc = [], 0.0
    for k in range(len(targets)):
        acc += 1.0 / (k + 1) ** 0.9
        cum.append(acc)
    order = targets[:]
    rng.shuffle(order)
    out: list[Request] = []
    t = t0
    tries = 0
    while len(out) < count and tries < count * 20:
        tries += 1
        frm = rng.choice(ids)
        to = rng.choices(order, cum_weights=cum)[0] if rng.random() < 0.8 else rng.choice(ids)
        if frm == to or (frm, to) in seen:
            continue
        pairs = [(frm, to)]
        if rng.random() < 0.12 and (to, frm) not in seen and len(out) + 1 < count:
            pairs.append((to, frm))  # mutual interest
        for a, b in pairs:
            seen.add((a, b))
            t += timedelta(seconds=rng.randint(1, 600))
            status = rng.choices(("accepted", "pending", "declined"), (0.6, 0.25, 0.15))[0]
            out.append(Request(id=f"{prefix}{first + len(out):06d}", frm=a, to=b,
                               priority=rng.randint(1, 3), status=status,
                               created_at=t.strftime("%Y-%m-%dT%H:%M:%SZ")))
    return out


def generate_delta(instance: Instance, base: Schedule, seed: int, name: str = "late-changes"
                   ) -> Delta:
    """Late changes: ~2% cancellations, ~2% newcomers, ~3% new requests, a few declines.

    Declines only hit pairs without a confirmed meeting (declining a confirmed meeting is
    a cancellation handled by the organiser, not by the solver).
    """
    rng = random.Random(seed)
    n = len(instance.participants)
    ids = [p.id for p in instance.participants]
    cancel = rng.sample(ids, max(1, n // 50))
    confirmed = {m.pair for m in base.meetings if m.confirmed}
    newcomers = [Participant(id=f"n{i:05d}", name=f"Late {i:05d}", org_type="SME",
                             country=rng.choice(_COUNTRIES), sector=rng.choice(_SECTORS),
                             max_meetings=rng.randint(4, 12), availability=None)
                 for i in range(max(1, n // 50))]
    gone = set(cancel)
    remaining = [i for i in ids if i not in gone]
    seen = {(r.frm, r.to) for r in instance.requests}
    last = max((r.created_at for r in instance.requests), default="2026-02-01T08:00:00Z")
    t0 = datetime.fromisoformat(last.replace("Z", "")) + timedelta(minutes=5)
    new_ids = [p.id for p in newcomers]
    adds = _requests(rng, new_ids + remaining, max(1, len(instance.requests) * 3 // 100), t0,
                     "x", seen, targets=remaining + new_ids)
    # make sure newcomers ask for meetings
    for i, pid in enumerate(new_ids):
        to = rng.choice(remaining)
        if (pid, to) not in seen:
            seen.add((pid, to))
            adds.append(Request(id=f"y{i:06d}", frm=pid, to=to, priority=3, status="accepted",
                                created_at=(t0 + timedelta(days=1, seconds=i))
                                .strftime("%Y-%m-%dT%H:%M:%SZ")))
    updates = []
    for r in instance.requests:
        if (r.status != "declined" and r.frm not in gone and r.to not in gone
                and pair_key(r.frm, r.to) not in confirmed and rng.random() < 0.03):
            updates.append({"id": r.id, "status": "declined"})
    return Delta(name=name, base_instance=instance.name, cancel_participants=cancel,
                 add_participants=newcomers, add_requests=adds, update_requests=updates)
