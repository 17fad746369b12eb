"""Elasticsearch against the embedded default on the same synthetic store (issue 16): match p95
through the Matcher, Elasticsearch requests per match, whole-collection copy into Elasticsearch
(reindex: PIT reads, bulk writes), batch matching for a 5,000-participant event, and memory.

    python -m tests.bench.bench_es_scale [--sizes 10000] [--queries 60] [--es-url URL]

Without --es-url a throwaway noida-db starts (an Elasticsearch stand-in: its absolute times are
not a real cluster's; the request counts and the PIT/bulk paths are the same).
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tests.bench.bench_match_latency import build_store, open_index
from tests.bench.common import get_domain, get_embedder, ms, pct, rss_bytes

EVENT_SIZE = 5_000


class Traffic:
    """What went over the wire for the finds being timed: bytes each way and the time spent
    waiting on the server (round trips on loopback: the server's time)."""

    def __init__(self) -> None:
        self.sent = self.received = 0
        self.server_s = 0.0

    def clear(self) -> None:
        self.sent = self.received = 0
        self.server_s = 0.0


TRAFFIC = Traffic()


def counted_es(url: str, counter: list[str]) -> Any:
    from elastic_transport import Urllib3HttpNode
    from elasticsearch import Elasticsearch

    from service.index.elastic import ElasticIndex
    from service.settings import REPO_CONFIG_DIR

    class CountingNode(Urllib3HttpNode):
        def perform_request(self, method: str, target: str, body: Any = None, *args: Any, **kwargs: Any) -> Any:
            counter.append(f"{method} {target.split('?')[0]}")
            t0 = time.perf_counter()
            resp = super().perform_request(method, target, body, *args, **kwargs)
            TRAFFIC.server_s += time.perf_counter() - t0
            TRAFFIC.sent += len(body or b"")
            TRAFFIC.received += len(resp.body or b"")
            return resp

    return ElasticIndex(lambda: Elasticsearch(url, node_class=CountingNode, request_timeout=120), url,
                        f"bench-{uuid.uuid4().hex[:8]}", REPO_CONFIG_DIR / "mappings", replicas=0)


def time_finds(matcher: Any, requests: list[Any], counter: list[str] | None = None) -> dict[str, float]:
    """Wall time per find; on Elasticsearch also requests, bytes, time waiting on the server and
    the rest (our own code, wall and CPU)."""
    times, counts, server, cpu, sent, received = [], [], [], [], [], []
    for req in requests:
        if counter is not None:
            counter.clear()
        TRAFFIC.clear()
        t0, c0 = time.perf_counter(), time.process_time()
        matcher.find(req)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if counter is not None:
            counts.append(len(counter))
            server.append(TRAFFIC.server_s)
            sent.append(TRAFFIC.sent)
            received.append(TRAFFIC.received)
    out = {"p50": pct(times, 50), "p95": pct(times, 95), "mean": sum(times) / len(times),
           "cpu_p50": pct(cpu, 50), "cpu_p95": pct(cpu, 95)}
    if counts:
        client = [t - s for t, s in zip(times, server)]
        out.update(req_max=max(counts), req_median=sorted(counts)[len(counts) // 2],
                   server_p50=pct(server, 50), server_p95=pct(server, 95),
                   client_p50=pct(client, 50), client_p95=pct(client, 95),
                   sent_kib=sum(sent) / len(sent) / 1024, received_kib=sum(received) / len(received) / 1024)
    return out


def run_size(size: int, url: str, queries: int, embedder: Any) -> dict[str, Any]:
    from service.matching.filters import MatchRequest
    from service.matching.matcher import Matcher

    domain = get_domain()
    path = build_store(size, embedder.dims, embedder.name)
    embedded, load_s = open_index(path, "auto")
    counter: list[str] = []
    es = counted_es(url, counter)
    es.check_model(embedder.name, embedder.dims)
    copied, t0 = 0, time.perf_counter()
    for kind in ("clusters", "members"):
        copied += es.rebuild(kind, embedded.iter_profiles(kind, 2_000), batch_size=2_000)
    copy_s = time.perf_counter() - t0
    try:
        stats = es.es.indices.stats(index=f"{es.prefix}-*", metric="store")["_all"]["primaries"]["store"]
        es_bytes = int(stats["size_in_bytes"])
    except Exception:  # noida may not report store sizes
        es_bytes = 0
    ids = embedded.store.all_ids("members")
    rng = random.Random(size)
    seekers = rng.sample(ids, queries)
    texts = [o["text"] for d in embedded.get_many("members", rng.sample(ids, queries)).values()
             for o in (d.get("offers") or [])[:1]][:queries]
    gap_vectors: dict[str, Any] = {}
    matchers = {"embedded": Matcher(embedded, embedder, domain, gap_vectors),
                "elasticsearch": Matcher(es, embedder, domain, gap_vectors)}
    matchers["embedded"].gap_vectors_warm()
    stored = [MatchRequest(target="members", seeker_kind="members", seeker_id=s) for s in seekers]
    free = [MatchRequest(target="members", text=t, country="FR") for t in texts]
    participants = frozenset(rng.sample(ids, min(EVENT_SIZE, len(ids))))
    event = [MatchRequest(target="members", seeker_kind="members", seeker_id=s, participants=participants)
             for s in rng.sample(sorted(participants), min(queries, len(participants)))]
    row: dict[str, Any] = {"size": size, "load_s": load_s, "copy_s": copy_s, "copied": copied, "es_bytes": es_bytes}
    for name, matcher in matchers.items():
        for warm in stored[:5]:
            matcher.find(warm)
        count = counter if name == "elasticsearch" else None
        row[f"{name}_stored"] = time_finds(matcher, stored, count)
        row[f"{name}_text"] = time_finds(matcher, free, count)
        row[f"{name}_event"] = time_finds(matcher, event, count)
    es.drop()
    es.close()
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--es-url", default=None)
    args = parser.parse_args()
    embedder = get_embedder()
    server = None
    url = args.es_url
    if url is None:
        from tests.support.noida import start_elasticsearch

        server = start_elasticsearch(Path(tempfile.mkdtemp(prefix="bench-noida-")))
        url = server.url
    rss0 = rss_bytes()
    try:
        rows = [run_size(int(s), url, args.queries, embedder) for s in args.sizes.split(",")]
    finally:
        if server is not None:
            server.stop()
    print(f"\n{args.queries} finds per kind and backend; server {'noida-db' if server else url}; "
          f"bench RSS growth {(rss_bytes() - rss0) / 2**20:.0f} MiB\n")
    print("| members | match | embedded p50 / p95 | Elasticsearch p50 / p95 | ratio p95 | ES requests (median / max) "
          "| ES: waiting on the server p50 / p95 | ES: our side p50 / p95 (CPU p95) | KiB sent / received |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        for kind, label in (("stored", "stored seeker"), ("text", "free text"), ("event", "event (5,000)")):
            e, s = r[f"embedded_{kind}"], r[f"elasticsearch_{kind}"]
            print(f"| {r['size']:,} | {label} | {ms(e['p50'])} / {ms(e['p95'])} | {ms(s['p50'])} / {ms(s['p95'])} "
                  f"| {s['p95'] / e['p95']:.1f}× | {s['req_median']} / {s['req_max']} "
                  f"| {ms(s['server_p50'])} / {ms(s['server_p95'])} "
                  f"| {ms(s['client_p50'])} / {ms(s['client_p95'])} ({ms(s['cpu_p95'])}) "
                  f"| {s['sent_kib']:.0f} / {s['received_kib']:.0f} |")
    print("\n| members | copy into ES (PIT read + bulk) | profiles/s | ES primary store "
          "| event matching, members/min/worker (embedded / ES) |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        store = f"{r['es_bytes'] / 2**20:.0f} MiB" if r["es_bytes"] else "n/a"
        print(f"| {r['size']:,} | {r['copy_s']:.0f} s | {r['copied'] / r['copy_s']:.0f} | {store} "
              f"| {60 / r['embedded_event']['mean']:.0f} / {60 / r['elasticsearch_event']['mean']:.0f} |")


if __name__ == "__main__":
    main()
