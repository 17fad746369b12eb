"""API benchmark: POST /matches under gunicorn on loopback, driven by wrk (or a bounded Python
load generator when wrk is missing), on the embedded store of the sample data.

    python -m tests.bench.bench_api [--duration 20] [--connections 8] [--workers 2]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.bench.common import REPO, Section, Target, get_domain, get_embedder, ms, pct, sample_store

LUA = """
local bodies = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/matches", {["Content-Type"] = "application/json", ["X-API-Key"] = "%s"},
                    bodies[(n %% #bodies) + 1])
end
local bad = 0
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format('JSON {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p95_us": %%d, '
    .. '"p99_us": %%d, "max_us": %%d, "socket_errors": %%d, "non200_first_thread": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout + summary.errors.status, bad))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api_key(data_dir: Path) -> str:
    """An admin key in the store's key table, made once and kept beside the cached store."""
    saved = data_dir / "bench-api-key.txt"
    if saved.exists():
        return saved.read_text().strip()
    from service.access.keys import KeyStore

    _, token = KeyStore(data_dir / "access.sqlite3").create("admin", name="benchmark")
    saved.write_text(token + "\n")
    return token


def bodies_for(data_dir: Path, count: int = 200) -> list[str]:
    from service.index.sqlite_store import SqliteStore

    ids = SqliteStore(data_dir / "maillon.sqlite3").all_ids("members")
    chosen = random.Random(5).sample(ids, min(count, len(ids)))
    return [json.dumps({"seeker": {"kind": "members", "id": i}, "target": "members"}) for i in chosen]


def start_server(data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, MAILLON_BIND=f"127.0.0.1:{port}", MAILLON_WORKERS=str(workers),
               MAILLON_DATA_DIR=str(data_dir), MAILLON_LOG_LEVEL="WARNING", PYTHONPATH=str(REPO))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    log = open(data_dir / "gunicorn.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([str(gunicorn), "-c", str(REPO / "deploy" / "gunicorn.conf.py"),
                             "service:create_app()"], cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def post(port: int, body: str, key: str, timeout: float = 60.0) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t0 = time.perf_counter()
    try:
        conn.request("POST", "/matches", body, {"Content-Type": "application/json", "X-API-Key": key})
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - t0
    finally:
        conn.close()


def wait_ready(proc: subprocess.Popen[bytes], port: int, body: str, key: str, workers: int,
               limit_s: float = 180) -> None:
    """Up when /matches answers; then warm every worker (first vector load and encode)."""
    deadline = time.monotonic() + limit_s
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            status, _ = post(port, body, key)
            if status == 200:
                break
            raise RuntimeError(f"/matches answered {status}")
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not come up in time") from None
            time.sleep(0.5)
    threads = [threading.Thread(target=post, args=(port, body, key)) for _ in range(4 * workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_wrk(port: int, bodies: list[str], key: str, connections: int, duration: int, folder: Path
            ) -> dict[str, Any]:
    script = folder / "matches.lua"
    script.write_text(LUA % (", ".join(json.dumps(b) for b in bodies), key))
    out = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s",
                          "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{port}"],
                         capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("JSON "))
    r = json.loads(line[5:])
    return {"tool": "wrk", "connections": connections, "requests": r["requests"],
            "rps": r["requests"] / (r["duration_us"] / 1e6), "p50": r["p50_us"] / 1e6,
            "p95": r["p95_us"] / 1e6, "p99": r["p99_us"] / 1e6, "errors": r["socket_errors"]}


def run_python(port: int, bodies: list[str], key: str, connections: int, duration: int) -> dict[str, Any]:
    """Fallback: `connections` threads posting in a closed loop until the time is up."""
    stop_at = time.monotonic() + duration
    latencies: list[float] = []
    errors = [0]

    def loop(n: int) -> None:
        while time.monotonic() < stop_at:
            try:
                status, secs = post(port, bodies[n % len(bodies)], key)
                latencies.append(secs)
                errors[0] += status != 200
            except OSError:
                errors[0] += 1
            n += connections

    t0 = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"tool": "python threads", "connections": connections, "requests": len(latencies),
            "rps": len(latencies) / wall, "p50": pct(latencies, 50), "p95": pct(latencies, 95),
            "p99": pct(latencies, 99), "errors": errors[0]}


def in_process(data_dir: Path, bodies: list[str], embedder: Any) -> dict[str, Any]:
    """The same finds without HTTP, serially: the ceiling the server is compared with."""
    from service.index.embedded import EmbeddedIndex
    from service.matching.filters import MatchRequest
    from service.matching.matcher import Matcher

    matcher = Matcher(EmbeddedIndex(data_dir / "maillon.sqlite3"), embedder, get_domain())
    times = []
    for n, body in enumerate(bodies[:100]):
        seeker = json.loads(body)["seeker"]
        t0 = time.perf_counter()
        matcher.find(MatchRequest(target="members", seeker_kind="members", seeker_id=seeker["id"]))
        if n >= 10:
            times.append(time.perf_counter() - t0)
    return {"p50": pct(times, 50), "p95": pct(times, 95), "mean": sum(times) / len(times)}


def run_bench(duration: int = 20, connections: int = 8, workers: int = 2, embedder: Any = None) -> dict[str, Any]:
    embedder = embedder or get_embedder()
    data_dir = sample_store(embedder)
    bodies = bodies_for(data_dir)
    key = api_key(data_dir)
    library = in_process(data_dir, bodies, embedder)
    use_wrk = shutil.which("wrk") is not None
    port = free_port()
    proc = start_server(data_dir, port, workers)
    runs = []
    try:
        wait_ready(proc, port, bodies[0], key, workers)
        with tempfile.TemporaryDirectory(prefix="maillon-bench-api-") as tmp:
            for conns, secs in ((1, max(5, duration // 4)), (connections, duration)):
                runs.append(run_wrk(port, bodies, key, conns, secs, Path(tmp)) if use_wrk
                            else run_python(port, bodies, key, conns, secs))
    finally:
        stop_server(proc)
    cores = os.cpu_count() or 1
    ceiling = min(cores, workers) / library["mean"]
    return {"runs": runs, "library": library, "workers": workers, "ceiling_rps": ceiling,
            "members": len(bodies), "data_dir": str(data_dir)}


def to_markdown(r: dict[str, Any]) -> str:
    lib = r["library"]
    lines = [f"gunicorn, {r['workers']} sync workers, embedded store of the sample data, POST /matches "
             f"for {r['members']} stored members (target members, page of 10), admin API key (every "
             "POST is also written to the audit trail).", "",
             "| load | tool | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for x in r["runs"]:
        lines.append(f"| {x['connections']} connection(s) | {x['tool']} | {x['requests']} | {x['rps']:.1f} "
                     f"| {ms(x['p50'])} | {ms(x['p95'])} | {ms(x['p99'])} | {x['errors']} |")
    lines += ["", f"In-process `Matcher.find` on the same store and seekers, serially: p50 {ms(lib['p50'])} ms, "
              f"p95 {ms(lib['p95'])} ms; ceiling for {r['workers']} workers on this machine: "
              f"{r['ceiling_rps']:.1f} req/s."]
    return "\n".join(lines)


def section(quick: bool = False, embedder: Any = None) -> Section:
    t0 = time.perf_counter()
    r = run_bench(duration=8 if quick else 20, connections=4 if quick else 8, embedder=embedder)
    single, loaded = r["runs"][0], r["runs"][-1]
    targets = [
        Target("HTTP overhead at 1 connection (API p50 / in-process p50)", "informative",
               f"{single['p50'] / r['library']['p50']:.2f}×", None),
        Target("throughput vs in-process ceiling", "informative",
               f"{loaded['rps'] / r['ceiling_rps']:.0%} ({loaded['rps']:.1f} of {r['ceiling_rps']:.1f} req/s)",
               None),
        Target("no errors under load", "0", str(loaded["errors"] + single["errors"]),
               loaded["errors"] + single["errors"] == 0)]
    return Section("API", to_markdown(r), targets, seconds=time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    print(to_markdown(run_bench(a.duration, a.connections, a.workers)))


if __name__ == "__main__":
    main()
