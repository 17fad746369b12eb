"""Tests of service.model_assets: name resolution, atomic builds, Q4 decoding, default model."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from service import model_assets
from service.model_assets import KNOWN_MODELS, ModelAssetError, materialise_model


def test_unknown_name_lists_known_models(tmp_path: Path) -> None:
    with pytest.raises(ModelAssetError) as excinfo:
        materialise_model("no-such-model", tmp_path)
    for name in KNOWN_MODELS:
        assert name in str(excinfo.value)


def test_existing_directory_is_returned_as_is(tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    assert materialise_model(str(folder), tmp_path / "cache") == folder


def test_interrupted_build_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_build(folder: Path) -> None:
        (folder / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setitem(model_assets._BUILDERS, "multilingual-e5-small", broken_build)
    with pytest.raises(KeyboardInterrupt):
        materialise_model("multilingual-e5-small", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_build_runs_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def build(folder: Path) -> None:
        calls.append(folder)
        (folder / "modules.json").write_text("[]")

    monkeypatch.setitem(model_assets._BUILDERS, "multilingual-e5-small", build)
    first = materialise_model("multilingual-e5-small", tmp_path)
    assert materialise_model("multilingual-e5-small", tmp_path) == first
    assert len(calls) == 1 and (first / "modules.json").is_file()


def test_q4_block_decoding() -> None:
    # One block, scale 0.5: byte j = (low nibble: weight j, high nibble: weight j+16), offset 8.
    block = np.zeros(1, dtype=model_assets._Q4_BLOCK)
    block["d"] = 0.5
    block["qs"][0] = [(15 << 4) | j for j in range(16)]
    expected = np.array([(j - 8) * 0.5 for j in range(16)] + [3.5] * 16, dtype=np.float32)
    np.testing.assert_array_equal(model_assets._dequantise_q4(block), expected)


@pytest.fixture(scope="module")
def e5_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return materialise_model("multilingual-e5-small", tmp_path_factory.mktemp("models"))


@pytest.mark.model
def test_default_model_builds_with_prompts(e5_folder: Path) -> None:
    config = json.loads((e5_folder / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == {"query": "query: ", "document": "passage: "}
    assert not [p for p in e5_folder.parent.iterdir() if p.name.startswith(".")]  # no temp left


@pytest.mark.model
def test_default_model_aligns_translations(
    e5_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(e5_folder), device="cpu", local_files_only=True)
    query = model.encode_query(["Nous cherchons un sous-traitant en usinage de précision."])
    docs = model.encode_document([
        "We are looking for a precision machining subcontractor.",
        "The museum opens a new exhibition on medieval tapestries.",
    ])
    translation, unrelated = (query @ docs.T)[0]
    assert model.get_embedding_dimension() == KNOWN_MODELS["multilingual-e5-small"].dims
    assert translation > unrelated + 0.1


@pytest.mark.model
def test_the_other_multilingual_model_embeds_through_the_product(tmp_path: Path) -> None:
    """use-multilingual-v3 has no Hugging Face tokenizer: the embedder batches its texts without one."""
    from service.embeddings import load_embedder

    embedder = load_embedder("use-multilingual-v3", tmp_path)
    query = embedder.encode_queries(["Nous cherchons un sous-traitant en usinage de précision."])
    docs = embedder.encode_documents(["We are looking for a precision machining subcontractor.",
                                      "The museum opens a new exhibition on medieval tapestries."])
    assert query.shape == (1, KNOWN_MODELS["use-multilingual-v3"].dims)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    translation, unrelated = (query @ docs.T)[0]
    assert translation > unrelated + 0.1
