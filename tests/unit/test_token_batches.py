"""Length-sorted batches under a token budget (service.embeddings.token_batches)."""
from __future__ import annotations

from service.embeddings import token_batches


def test_every_row_once_longest_first_within_the_budget() -> None:
    lengths = [12, 480, 9, 130, 11, 131, 10, 600]
    batches = token_batches(lengths, max_rows=64, budget=512)
    rows = [int(r) for batch in batches for r in batch]
    assert sorted(rows) == list(range(len(lengths)))
    assert [lengths[r] for r in rows] == sorted(lengths, reverse=True)
    for batch in batches:
        assert len(batch) == 1 or len(batch) * max(lengths[r] for r in batch) <= 512


def test_a_text_longer_than_the_budget_gets_a_batch_of_its_own() -> None:
    assert [list(b) for b in token_batches([700, 5, 5], max_rows=64, budget=512)] == [[0], [1, 2]]


def test_short_texts_stop_at_max_rows() -> None:
    assert [len(b) for b in token_batches([4] * 100, max_rows=32, budget=512)] == [32, 32, 32, 4]


def test_nothing_to_batch() -> None:
    assert token_batches([], max_rows=64, budget=512) == []
