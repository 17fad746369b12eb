"""The label store and the lazy model: label vectors survive the process, the model loads only for
a text it has not seen (fakes: no model here; the real thing is in tests/integration/test_cold_match.py)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from service.label_vectors import LabelVectorStore, encode_labels
from service.lazy_embedder import LazyEmbedder


class CountingModel:
    """Each text's vector is a function of its characters; counts what it is asked to encode."""

    name, dims = "fake-model", 4

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += list(texts)
        rows = [[len(t), sum(map(ord, t)) % 97, t.count("e"), 1.0] for t in texts]
        out = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dims)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    encode_documents = encode_queries


def never_loads() -> CountingModel:
    raise AssertionError("the model was loaded")


def test_stored_labels_need_no_model(tmp_path) -> None:
    model = CountingModel()
    first = LazyEmbedder("fake-model", lambda: model, 4, LabelVectorStore(tmp_path, "fake-model", "torch"))
    labels = ["Traitement de surface", "Oberflächentechnik", "Traitement de surface", "Zerspanung"]
    made = first.encode_labels(labels)
    assert model.encoded == ["Traitement de surface", "Oberflächentechnik", "Zerspanung"]  # duplicates once
    assert np.allclose(made[0], made[2])

    # Another process: every label comes from the file; the model is never loaded.
    again = LazyEmbedder("fake-model", never_loads, 4, LabelVectorStore(tmp_path, "fake-model", "torch"))
    assert np.allclose(again.encode_labels(labels[::-1]), made[::-1])
    assert not again.loaded and again.dims == 4


def test_a_new_label_is_encoded_and_kept_with_the_old_ones(tmp_path) -> None:
    model = CountingModel()
    store = LabelVectorStore(tmp_path, "fake-model", "torch")
    LazyEmbedder("fake-model", lambda: model, 4, store).encode_labels(["Montaggio"])
    lazy = LazyEmbedder("fake-model", lambda: model, 4, LabelVectorStore(tmp_path, "fake-model", "torch"))
    lazy.encode_labels(["Montaggio", "Ensayos no destructivos"])
    assert model.encoded == ["Montaggio", "Ensayos no destructivos"]
    reread = LabelVectorStore(tmp_path, "fake-model", "torch").lookup(["Montaggio", "Ensayos no destructivos"])
    assert all(v is not None for v in reread)


def test_another_model_or_backend_does_not_reuse_the_vectors(tmp_path) -> None:
    LazyEmbedder("fake-model", CountingModel, 4, LabelVectorStore(tmp_path, "fake-model", "torch")).encode_labels(
        ["Logistique"])
    assert LabelVectorStore(tmp_path, "other-model", "torch").lookup(["Logistique"]) == [None]
    assert LabelVectorStore(tmp_path, "fake-model", "onnx-int8").lookup(["Logistique"]) == [None]


def test_a_damaged_file_is_encoded_again(tmp_path) -> None:
    store = LabelVectorStore(tmp_path, "fake-model", "torch")
    store.path.write_bytes(b"PK\x03\x04 not an npz")
    model = CountingModel()
    vectors = LazyEmbedder("fake-model", lambda: model, 4, store).encode_labels(["Recyclage"])
    assert model.encoded == ["Recyclage"] and vectors.shape == (1, 4)
    assert LabelVectorStore(tmp_path, "fake-model", "torch").lookup(["Recyclage"])[0] is not None


def test_free_text_is_never_kept(tmp_path) -> None:
    model = CountingModel()
    lazy = LazyEmbedder("fake-model", lambda: model, 4, LabelVectorStore(tmp_path, "fake-model", "torch"))
    lazy.encode_queries(["nous cherchons un distributeur en Italie"])
    assert lazy.loaded and not any(tmp_path.iterdir())


def test_a_model_of_another_size_is_refused() -> None:
    lazy = LazyEmbedder("fake-model", CountingModel, 384)
    with pytest.raises(ValueError, match="4 dimensions, expected 384"):
        lazy.encode_queries(["x"])


def test_a_plain_embedder_encodes_labels_itself() -> None:
    model = CountingModel()
    assert encode_labels(model, ["Assemblage"]).shape == (1, 4) and model.encoded == ["Assemblage"]


def test_value_chain_labels_are_encoded_once_each(domain) -> None:
    from service.links import LinkVocabulary

    model = CountingModel()
    vocabulary = LinkVocabulary(domain, model)
    template = next(iter(vocabulary.labels.values()))["de"]
    _ = vocabulary.vectors
    model.encoded.clear()
    batch = ["Zerstörungsfreie Prüfung", template, "contrôle non destructif par ultrasons", "Zerstörungsfreie Prüfung"]
    got = vocabulary.label_vectors(batch)
    assert model.encoded == ["Zerstörungsfreie Prüfung", "contrôle non destructif par ultrasons"]
    assert np.allclose(got, model.encode_queries(batch))
    model.encoded.clear()
    vocabulary.label_vectors(["contrôle non destructif par ultrasons"])  # seen in this process: no encode
    assert model.encoded == [] and vocabulary.label_vectors([]).shape == (0, 4)


def test_servers_load_the_model_before_serving(tmp_path) -> None:
    from service.container import build_services
    from service.settings import load_settings

    services = build_services(load_settings({"data_dir": tmp_path}, environ={}),
                              embedder=LazyEmbedder("fake-model", CountingModel, 4))
    assert not services.embedder_loaded
    services.warm()  # gunicorn's master, the RQ worker and `maillon serve` call it before forking
    assert services.embedder_loaded
