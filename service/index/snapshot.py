"""The embedded index's in-memory mirror saved next to the SQLite file, so a restart at 100k
profiles maps files instead of decoding 700k vectors and rebuilding HNSW graphs (minutes).

A snapshot is valid for one store (a random uid in its meta table) up to one change-log sequence;
the loader replays the changes logged after it, as it does for another process's writes. Files
of one snapshot share a token; `current.json`, written last and renamed into place, names the
valid one, so a reader never sees half a snapshot.
"""
from __future__ import annotations

import fcntl
import logging
import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import orjson

from service.index.sqlite_store import SqliteStore
from service.index.vectors import VectorSet

log = logging.getLogger(__name__)
FORMAT = 1


@dataclass
class Snapshot:
    seq: int
    states: dict[str, dict]  # per kind, what EmbeddedIndex keeps per profile slot
    sets: dict[tuple[str, str], VectorSet]


def folder(store: SqliteStore) -> Path:
    return store.path.with_name(store.path.name + ".vectors")


def _settings(dims: int) -> dict:
    # Not the vector mode: the rows serve every mode; a graph is loaded only where the mode uses
    # one, and built (then saved) where the mode wants one the snapshot lacks.
    return {"format": FORMAT, "dims": dims}


def save(store: SqliteStore, seq: int, states: dict[str, dict], sets: dict[tuple[str, str], VectorSet],
         dims: int) -> bool:
    """Write a snapshot of the mirror as of `seq`; False (and a log line) when it cannot."""
    where = folder(store)
    token = secrets.token_hex(6)
    try:
        uid = store.uid()
        where.mkdir(exist_ok=True)
        lock = open(where / ".lock", "w")  # noqa: SIM115 (held until the end of the save)
    except (OSError, sqlite3.Error) as exc:
        log.warning("vector snapshot not saved in %s: %s", where, exc)
        return False
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # another process is saving one right now
        return _write(store, where, token, uid, seq, states, sets, _settings(dims))


def _write(store: SqliteStore, where: Path, token: str, uid: str, seq: int, states: dict[str, dict],
           sets: dict[tuple[str, str], VectorSet], settings: dict) -> bool:
    try:
        for (kind, role), vs in sets.items():
            vs.save(where / f"{token}-{kind}-{role}")
        manifest = {**settings, "uid": uid, "seq": seq,
                    "at_seq": store.change_at(seq), "token": token, "states": states,
                    "sets": [list(key) for key in sets]}
        tmp = where / f"{token}.json"
        tmp.write_bytes(orjson.dumps(manifest))
        os.replace(tmp, where / "current.json")
    except (OSError, sqlite3.Error) as exc:
        log.warning("vector snapshot not saved in %s: %s", where, exc)
        _remove_others(where, keep=None, only=token)
        return False
    _remove_others(where, keep=token)
    return True


def load(store: SqliteStore, dims: int | None, mode: str, hnsw_threshold: int) -> Snapshot | None:
    """The saved mirror if it belongs to this store and these settings, else None."""
    current = folder(store) / "current.json"
    if dims is None or not current.exists():
        return None
    try:
        manifest = orjson.loads(current.read_bytes())
        if {k: manifest.get(k) for k in ("format", "dims")} != _settings(dims):
            return None
        seq = int(manifest["seq"])
        # Another store under the same name, or this one restored from an older copy: its log
        # differs at the snapshot's sequence.
        if manifest["uid"] != store.meta("uid") or store.change_at(seq) != manifest["at_seq"]:
            return None
        token = manifest["token"]
        sets = {(kind, role): VectorSet.load(folder(store) / f"{token}-{kind}-{role}", dims, mode, hnsw_threshold)
                for kind, role in manifest["sets"]}
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, sqlite3.Error) as exc:
        log.warning("vector snapshot in %s not used: %s", current.parent, exc)
        return None
    states = manifest.get("states") or {kind: {"ids": ids} for kind, ids in manifest["ids"].items()}
    return Snapshot(seq, states, sets)


def _remove_others(where: Path, keep: str | None, only: str | None = None) -> None:
    """Drop files of other snapshots (mapped ones stay readable until closed: POSIX unlink)."""
    for path in where.iterdir():
        token = path.name.split("-", 1)[0].split(".", 1)[0]
        if path.name in ("current.json", ".lock") or token == keep or (only is not None and token != only):
            continue
        try:
            path.unlink()
        except OSError:
            pass
