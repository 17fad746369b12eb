"""Web pages benchmark: every main page of each role, served by gunicorn (deploy/gunicorn.conf.py,
2 workers by default) on loopback, on the demo data (the sample profiles, the demo event with an
agenda); p50/p95/max latency per page against the 200 ms target.

    python -m tests.bench.bench_web [--data-dir DIR] [--requests 40] [--workers 2] [--port N]
                                    [--pages /app/cluster,/print/]

Each page is timed twice: "repeat", views after the first (what the per-process match cache,
service/match_cache.py, serves), and "first", views that each follow a write to the store (one
profile written again by this process, as an ingest would), so every matcher page ranks afresh.

Without --data-dir the demo store is used: what `maillon demo` ingests (the sample data with its
shipped vectors), built once under $MAILLON_BENCH_CACHE.
"""
from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path
from typing import Any

import requests

from tests.bench.bench_api import free_port, stop_server
from tests.bench.common import CACHE_DIR, REPO, get_embedder, load_average, ms, pct

TARGET_S = 0.200
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def demo_store(embedder: Any) -> Path:
    """What `maillon demo` ingests: every sample cluster and member, with the shipped vectors
    (indexers/sample_data/vectors.npz), so nothing is embedded when the model fits them. Built
    once into $MAILLON_BENCH_CACHE/demo-<model>."""
    from indexers import vector_cache
    from indexers.runner import SAMPLE_DIR, SAMPLE_VECTORS, run_ingest
    from service.container import build_services
    from service.settings import load_settings

    data_dir = CACHE_DIR / f"demo-{embedder.name}"
    done = data_dir / "READY"
    if done.exists():
        return data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    services = build_services(load_settings({"data_dir": data_dir, "model_name": embedder.name}),
                              embedder=embedder)
    cached = vector_cache.load(SAMPLE_VECTORS, embedder)
    t0 = time.perf_counter()
    for kind in ("clusters", "members"):
        if run_ingest(services, kind, SAMPLE_DIR / f"{kind}.jsonl", None, 256, embedder=cached) != 0:
            raise RuntimeError(f"the sample {kind} did not ingest")
    hits = f"{cached.hits} cached vectors, {cached.misses} embedded" if cached else "no cached vector fitted"
    done.write_text(f"built in {time.perf_counter() - t0:.0f}s ({hits})\n")
    return data_dir


def prepare(data_dir: Path, base: str, embedder: Any) -> dict[str, str]:
    """The demo event, an agenda for it, and a sign-in link per role (made in-process)."""
    from service.access.keys import SYSTEM
    from service.container import build_services
    from service.settings import load_settings
    from service.web.demo import DEMO_EVENT, demo_signin_links

    services = build_services(load_settings({"data_dir": data_dir, "model_name": embedder.name}),
                              embedder=embedder)
    links = demo_signin_links(services, base)
    if services.event_store.agenda(DEMO_EVENT) is None:
        services.agenda_service(SYSTEM).generate(DEMO_EVENT, "preliminary", time_limit_s=20)
    first = services.event_store.agenda(DEMO_EVENT)["schedule"]["meetings"][0]
    return {**links, "meeting": f"a={first['a']}&b={first['b']}"}  # a meeting whose move form is open


def pages(event_id: str, meeting: str) -> dict[str, list[str]]:
    """Every page a role opens (GET), the printable PDFs included; `meeting` picks one on the board."""
    return {
        "anonymous": ["/app/signin"],
        "member": ["/app/me", "/app/me/profile", "/app/me/suggestions", f"/app/me/suggestions?event={event_id}",
                   f"/app/events/{event_id}/participants", f"/app/events/{event_id}/requests",
                   f"/app/events/{event_id}/agenda"],
        "organiser": ["/app/events", "/app/events/new", f"/app/events/{event_id}", f"/app/events/{event_id}/board",
                      f"/app/events/{event_id}/board?{meeting}", f"/app/events/{event_id}/participants",
                      f"/app/events/{event_id}/print/participants", f"/app/events/{event_id}/print/tables",
                      f"/app/events/{event_id}/print/participants.pdf", f"/app/events/{event_id}/print/tables.pdf",
                      f"/app/events/{event_id}/outbox"],
        "cluster_manager": ["/app/cluster", "/app/cluster/partners", "/app/cluster/consortia"],
    }


def sign_in(base: str, link: str) -> requests.Session:
    session = requests.Session()
    token = CSRF.search(session.get(link, timeout=60).text).group(1)
    response = session.post(link, data={"csrf_token": token}, allow_redirects=False, timeout=60)
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed: {response.status_code}")
    return session


def start(data_dir: Path, port: int, workers: int, embedder: Any) -> Any:
    import subprocess
    import sys

    env = dict(os.environ, MAILLON_BIND=f"127.0.0.1:{port}", MAILLON_WORKERS=str(workers),
               MAILLON_DATA_DIR=str(data_dir), MAILLON_LOG_LEVEL="WARNING", PYTHONPATH=str(REPO),
               MAILLON_MODEL=embedder.name, MAILLON_SECURE_COOKIES="false")  # plain http on loopback
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(data_dir / "gunicorn-web.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([str(gunicorn), "-c", str(REPO / "deploy" / "gunicorn.conf.py"), "service:create_app()"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_up(base: str, limit_s: float = 300) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/health", timeout=5).status_code in (200, 503):
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not come up in time")


class StoreWriter:
    """Writes one member profile back unchanged, from this process: the store's change log moves
    on, so every worker's match cache is stale, as after an ingest or a profile edit."""

    def __init__(self, data_dir: Path) -> None:
        from service.index.base import IndexedProfile
        from service.index.sqlite_store import SqliteStore

        self.store = SqliteStore(data_dir / "maillon.sqlite3")
        pid = self.store.all_ids("members")[-1]
        dims = int(self.store.meta("dims"))
        self.profile = IndexedProfile("members", pid, self.store.docs("members", [pid])[pid],
                                      self.store.hashes("members", [pid])[pid], self.store.items("members", pid, dims))

    def write(self) -> None:
        self.store.write("members", [self.profile])


def timed(session: requests.Session, url: str, count: int, before: Any = None) -> tuple[list[float], int]:
    times, bad = [], 0
    for _ in range(count):
        if before is not None:
            before()
        t0 = time.perf_counter()
        response = session.get(url, timeout=120)
        times.append(time.perf_counter() - t0)
        bad += response.status_code != 200
    return times, bad


def run_bench(data_dir: Path | None = None, count: int = 40, workers: int = 2,
              port: int | None = None, only: list[str] | None = None) -> list[dict[str, Any]]:
    """`only`: time just the pages whose path contains one of these strings."""
    from service.web.demo import DEMO_EVENT

    embedder = get_embedder()
    data_dir = data_dir or demo_store(embedder)
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    links = prepare(data_dir, base, embedder)
    writer = StoreWriter(data_dir)
    proc = start(data_dir, port, workers, embedder)
    rows = []
    try:
        wait_up(base)
        for role, paths in pages(DEMO_EVENT, links["meeting"]).items():
            session = sign_in(base, links[role]) if role in links else requests.Session()
            for path in paths:
                if only and not any(part in path for part in only):
                    continue
                for _ in range(2 * workers):  # warm every worker (first model and vector loads)
                    session.get(base + path, timeout=120)
                row: dict[str, Any] = {"role": role, "page": path, "errors": 0}
                for mode, before in (("first", writer.write), ("repeat", None)):
                    times, bad = timed(session, base + path, count, before)
                    row.update({f"{mode}_p50": pct(times, 50), f"{mode}_p95": pct(times, 95),
                                f"{mode}_max": max(times)})
                    row["errors"] += bad
                rows.append(row)
    finally:
        stop_server(proc)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=None, help="default: a free one")
    ap.add_argument("--pages", default="", help="comma-separated parts of the paths to time (default: all)")
    a = ap.parse_args()
    print(f"load average before: {load_average()}")
    rows = run_bench(a.data_dir, a.requests, a.workers, a.port, [p for p in a.pages.split(",") if p])
    print(f"load average after: {load_average()}")
    print("| role | page | first view p50 / p95 / max ms | repeat view p50 / p95 / max ms | errors "
          f"| first p95 ≤ {ms(TARGET_S)} | repeat p95 ≤ {ms(TARGET_S)} |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        ok = {m: "yes" if r[f"{m}_p95"] <= TARGET_S and not r["errors"] else "NO" for m in ("first", "repeat")}
        figures = {m: " / ".join(ms(r[f"{m}_{q}"]) for q in ("p50", "p95", "max")) for m in ("first", "repeat")}
        print(f"| {r['role']} | `{r['page']}` | {figures['first']} | {figures['repeat']} | {r['errors']} "
              f"| {ok['first']} | {ok['repeat']} |")


if __name__ == "__main__":
    main()
