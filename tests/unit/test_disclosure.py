"""Error messages lose internal paths and URLs; API routes in client errors stay."""
from __future__ import annotations

from service.disclosure import scrub, scrub_errors


def test_server_errors_lose_paths_and_urls() -> None:
    text = ("job queue unavailable (Redis): Error 2 connecting to unix socket: /srv/maillon/data/redis/redis.sock. "
            "No such file; also http://es.internal:9200/members-v1 and redis://:secret@10.0.0.4:6379/0")
    clean = scrub(text)
    assert "/srv" not in clean and "es.internal" not in clean and "secret" not in clean
    assert clean.startswith("job queue unavailable (Redis): Error 2 connecting to unix socket: (internal)")


def test_client_errors_keep_routes_but_lose_known_internal_strings() -> None:
    message = "no member 'x' (see /members/x) under /data/dir/maillon.sqlite3"
    assert scrub(message, ["/data/dir"], server_error=False) == \
        "no member 'x' (see /members/x) under (internal)/maillon.sqlite3"
    assert scrub_errors({"file": ["/data/dir/u.csv"]}, ["/data/dir"], False) == {"file": ["(internal)/u.csv"]}
