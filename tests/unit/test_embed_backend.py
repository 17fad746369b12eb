"""MAILLON_EMBED_BACKEND=auto: which backend a data dir's vectors are made and queried with
(service.embed_backend), and LazyEmbedder following it. Fake models; the real one in
tests/integration/test_embed_backend_auto.py."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from service.embed_backend import BackendChoice, BackendRecord, choose
from service.label_vectors import LabelVectorStore
from service.lazy_embedder import LazyEmbedder

YES, NO = (lambda: True), (lambda: False)


def boom() -> bool:
    raise AssertionError("not asked")


@pytest.mark.parametrize(("configured", "recorded", "has_vectors", "ready", "expected"), [
    ("torch", "onnx-int8", YES, YES, "torch"),  # an explicit setting wins
    ("onnx", None, NO, NO, "onnx"),
    ("auto", "onnx-int8", YES, NO, "onnx-int8"),  # the record wins, export or not
    ("auto", "torch", NO, YES, "torch"),
    ("auto", None, YES, YES, "torch"),  # vectors from before the record: the old default
    ("auto", None, NO, YES, "onnx-int8"),  # a new store: the fastest, when exported
    ("auto", None, NO, NO, "torch"),  # ... never waiting for its export
])
def test_choose(configured, recorded, has_vectors, ready, expected) -> None:
    assert choose(configured, recorded, has_vectors, ready) == expected


def test_an_explicit_setting_never_looks_at_the_store() -> None:
    assert choose("onnx-int8", None, boom, boom) == "onnx-int8"


def test_the_first_writer_wins(tmp_path: Path) -> None:
    record = BackendRecord(tmp_path / "data")
    assert record.read() is None
    results: list[str] = []
    threads = [threading.Thread(target=lambda b=b: results.append(BackendRecord(tmp_path / "data").claim(b)))
               for b in ("torch", "onnx-int8") * 8]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and results[0] == record.read()
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["embed_backend"]  # no temporary file left
    assert record.claim("onnx") == results[0]


def test_a_new_store_without_export_takes_torch_and_starts_the_export(tmp_path: Path) -> None:
    exports: list[int] = []
    choice = BackendChoice("auto", BackendRecord(tmp_path), NO, NO, lambda: exports.append(1))
    assert choice.current() == "torch" and exports == [1]
    assert choice.settle() == "torch"
    assert BackendRecord(tmp_path).read() == "torch"
    # The export is made now, but this store's vectors are PyTorch's: it stays so.
    later = BackendChoice("auto", BackendRecord(tmp_path), YES, YES)
    assert later.current() == "torch"


def test_a_process_follows_a_record_made_after_it_chose(tmp_path: Path) -> None:
    """An API process chose torch on an empty store; a worker then ingested with int8 (its export
    was ready by then): the API's queries must now be int8 too."""
    api = BackendChoice("auto", BackendRecord(tmp_path), NO, NO)
    assert api.current() == "torch"
    worker = BackendChoice("auto", BackendRecord(tmp_path), NO, YES)
    assert worker.settle() == "onnx-int8"
    assert api.current() == "onnx-int8"
    assert api.settle() == "onnx-int8"


def test_an_explicit_setting_against_the_record_warns_and_keeps_the_record(tmp_path: Path, caplog) -> None:
    BackendRecord(tmp_path).claim("onnx-int8")
    choice = BackendChoice("torch", BackendRecord(tmp_path), YES, YES)
    assert choice.settle() == "torch"
    assert BackendRecord(tmp_path).read() == "onnx-int8"
    assert "made with onnx-int8" in caplog.text and str(tmp_path / "embed_backend") in caplog.text
    choice.settle()
    assert caplog.text.count("made with onnx-int8") == 1


def test_the_demo_prefers_its_shipped_vectors_backend_for_a_new_store_only(tmp_path: Path) -> None:
    new = BackendChoice("auto", BackendRecord(tmp_path / "new"), NO, YES)
    assert new.prefer("torch") == "torch" and BackendRecord(tmp_path / "new").read() == "torch"
    BackendRecord(tmp_path / "old").claim("onnx-int8")
    assert BackendChoice("auto", BackendRecord(tmp_path / "old"), YES, YES).prefer("torch") == "onnx-int8"
    explicit = BackendChoice("onnx", BackendRecord(tmp_path / "explicit"), NO, YES)
    assert explicit.prefer("torch") == "onnx" and BackendRecord(tmp_path / "explicit").read() is None


class FakeModel:
    dims = 4

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.seed = {"torch": 1.0, "onnx-int8": 2.0}[backend]

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.full((len(texts), 4), self.seed, dtype=np.float32)

    encode_documents = encode_queries


def test_lazy_embedder_loads_and_labels_per_backend(tmp_path: Path) -> None:
    loads: list[str] = []

    def load(backend: str) -> FakeModel:
        loads.append(backend)
        return FakeModel(backend)

    api_choice = BackendChoice("auto", BackendRecord(tmp_path), NO, NO)
    lazy = LazyEmbedder("fake", lambda: load(api_choice.current()), 4, choice=api_choice, load_backend=load,
                        labels_for=lambda b: LabelVectorStore(tmp_path / "labels", "fake", b))
    assert not lazy.loaded and lazy.backend == "torch" and loads == []  # no model for the name of a backend
    assert lazy.encode_labels(["Montage"])[0, 0] == 1.0
    BackendChoice("auto", BackendRecord(tmp_path), NO, YES).settle()  # another process: int8
    assert lazy.encode_queries(["Fräsen"])[0, 0] == 2.0
    assert lazy.encode_labels(["Montage"])[0, 0] == 2.0  # the int8 label store, not torch's vector
    assert loads == ["torch", "onnx-int8"] and lazy.backend == "onnx-int8"
    assert sorted(p.name for p in (tmp_path / "labels").iterdir()) == ["fake-onnx-int8.npz", "fake-torch.npz"]


def test_the_export_starts_once_asked_under_auto_only(tmp_path: Path) -> None:
    exports: list[str] = []
    BackendChoice("auto", BackendRecord(tmp_path), NO, NO, lambda: exports.append("auto")).prepare_fastest()
    BackendChoice("auto", BackendRecord(tmp_path), NO, YES, lambda: exports.append("made")).prepare_fastest()
    BackendChoice("torch", BackendRecord(tmp_path), NO, NO, lambda: exports.append("torch")).prepare_fastest()
    assert exports == ["auto"]


def test_no_second_background_export(tmp_path: Path) -> None:
    import os

    from service.onnx_embedder import FILES, export_in_background

    (tmp_path / "onnx").mkdir()
    (tmp_path / "onnx" / ".export.lock").write_text(str(os.getpid()))  # a live exporting process
    assert export_in_background(tmp_path) is False
    (tmp_path / "onnx" / ".export.lock").unlink()
    (tmp_path / "onnx" / FILES["onnx-int8"]).write_bytes(b"made")
    assert export_in_background(tmp_path) is False
    assert not (tmp_path / "onnx" / "export.log").exists()
