"""Copy every profile, vectors included, from the configured index backend to the other one."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from tqdm import tqdm

from service.container import build_index
from service.errors import ConfigurationError
from service.index.base import IndexedProfile, ProfileFilter, ProfileIndex
from service.settings import Settings
from service.vocab import ProfileKind

KINDS = tuple(k.value for k in ProfileKind)
BACKENDS = ("embedded", "elasticsearch")
Progress = Callable[[str, int, int], None]  # kind, profiles copied so far, total


def reindex(source: ProfileIndex, target: ProfileIndex, kinds: Sequence[str] = KINDS,
            progress: Progress | None = None, batch_size: int = 500) -> dict[str, int]:
    """Copy `kinds` from source to target; afterwards the target holds exactly the source's
    profiles. A target with `rebuild` (Elasticsearch) fills new indices and swaps its aliases,
    so its readers never see a half-copied index; others are written in place, batch by batch."""
    copied: dict[str, int] = {}
    for kind in kinds:
        total, done = source.count(kind), 0

        def tick(n: int, kind: str = kind, total: int = total) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress(kind, done, total)

        profiles = source.iter_profiles(kind, batch_size)
        rebuild = getattr(target, "rebuild", None)
        if rebuild is not None:
            copied[kind] = rebuild(kind, profiles, batch_size=batch_size, progress=tick)
        else:
            copied[kind] = _copy_in_place(kind, profiles, target, batch_size, tick)
    return copied


def _copy_in_place(kind: str, profiles: Iterable[IndexedProfile], target: ProfileIndex,
                   batch_size: int, tick: Callable[[int], None]) -> int:
    seen: set[str] = set()
    batch: list[IndexedProfile] = []
    for profile in profiles:
        batch.append(profile)
        seen.add(profile.id)
        if len(batch) >= batch_size:
            target.upsert(kind, batch)
            tick(len(batch))
            batch = []
    if batch:
        target.upsert(kind, batch)
        tick(len(batch))
    # Profiles the target had but the source does not: a copy must not keep them.
    present = target.search(kind, ProfileFilter(), 0, max(target.count(kind), 1)).items
    stale = [doc["id"] for doc in present if doc["id"] not in seen]
    for start in range(0, len(stale), batch_size):
        target.delete(kind, stale[start : start + batch_size])
    return len(seen)


def run_reindex(settings: Settings, to: str, kinds: Sequence[str] = KINDS, batch_size: int = 500,
                show_progress: bool = True) -> dict[str, int]:
    """`maillon reindex --to <backend>`: from the backend of `settings` to the other one, with
    progress bars. The target is checked against the source's model and vector size first."""
    if to not in BACKENDS:
        raise ConfigurationError(f"reindex target {to!r} is not one of {', '.join(BACKENDS)}")
    if to == settings.backend:
        raise ConfigurationError(f"MAILLON_BACKEND is already {to}: reindex copies to the other backend")
    if to == "elasticsearch" and not settings.es_url:
        raise ConfigurationError("ES_URL: required to reindex into Elasticsearch")
    source, target = build_index(settings), build_index(replace(settings, backend=to))
    dims = _dims(source)
    if dims is None:
        raise ConfigurationError(f"the {settings.backend} index holds no vectors: nothing to reindex")
    for index in (source, target):  # the source must hold the configured model's vectors
        index.check_model(settings.model_name, dims)  # type: ignore[attr-defined]
    bars: dict[str, Any] = {}

    def progress(kind: str, done: int, total: int) -> None:
        bar = bars.get(kind)
        if bar is None:
            bar = bars[kind] = tqdm(total=total, desc=f"{kind} → {to}", unit="profile", disable=not show_progress)
        bar.update(done - bar.n)

    try:
        return reindex(source, target, kinds, progress, batch_size)
    finally:
        for bar in bars.values():
            bar.close()


def _dims(index: ProfileIndex) -> int | None:
    # An Elasticsearch handle learns its dims from the mapping on first contact.
    index.health()
    return index.dims
