"""The embedder: one sentence-transformers model, batch encoding of needs (queries) and offers."""
from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

# Padded tokens per batch (rows × longest) on every backend: enough rows to fill the matrix
# products, few enough that short texts do not pay for a long one's padding
# (tests/bench/bench_backends.py --budgets measures it).
TOKEN_BUDGET = 512


class Embedder(Protocol):
    name: str
    dims: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray: ...


def token_batches(lengths: Sequence[int], max_rows: int, budget: int) -> list[np.ndarray]:
    """Row indices in batches of similar lengths (longest first), each at most `max_rows` rows
    and `budget` padded tokens: a batch of 64 paragraphs padded to its longest spends most of
    its time on padding and quadratic attention (2× slower per text than batches of 16)."""
    order = np.argsort([-n for n in lengths], kind="stable")
    batches, start = [], 0
    while start < len(order):
        width = max(lengths[order[start]], 1)  # the longest of the batch: it comes first
        rows = max(1, min(max_rows, budget // width))
        batches.append(order[start : start + rows])
        start += rows
    return batches


class SentenceTransformerEmbedder:
    """Needs are queries and offers/competences are documents: the model's own prompts
    (e.g. e5's "query: " / "passage: ") are applied, and vectors are unit length."""

    backend = "torch"

    def __init__(self, model: Any, name: str, batch_size: int = 64) -> None:
        self.model = model
        self.name = name
        self.batch_size = batch_size
        dims_of = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dims = int(dims_of())
        prompts = getattr(model, "prompts", None) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._document_prompt = "document" if "document" in prompts else None
        self.token_budget = TOKEN_BUDGET
        # torch releases the GIL; one encode at a time keeps 2 cores from thrashing.
        self._lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self._document_prompt)

    def _encode(self, texts: Sequence[str], prompt_name: str | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        prompt = (getattr(self.model, "prompts", None) or {}).get(prompt_name or "", "")
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        with self._lock:
            tokenizer = getattr(self.model, "tokenizer", None)
            if tokenizer is None:  # a model without a Hugging Face tokenizer (USE): plain batches
                lengths = [1] * len(texts)
            else:
                lengths = [len(ids) for ids in tokenizer(
                    [prompt + t for t in texts], truncation=True, max_length=self.model.max_seq_length)["input_ids"]]
            for rows in token_batches(lengths, self.batch_size, self.token_budget):
                out[rows] = self.model.encode(
                    [texts[i] for i in rows],
                    prompt_name=prompt_name,
                    batch_size=len(rows),
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        return out


def load_embedder(model_name: str, cache_dir: Path, batch_size: int = 64, backend: str = "torch",
                  threads: int = 0, one_shot: bool = False) -> Embedder:
    """Load the configured model offline (building it once from its PyPI package if needed) on
    the chosen backend: PyTorch, or ONNX Runtime float32/int8 (MAILLON_EMBED_BACKEND).

    `one_shot`: a process that embeds a text or two and exits (`maillon match --text`). Instead of
    PyTorch it takes the float32 ONNX export of the same model when one was already made: the
    same vectors (cosine ≥ 0.9999, tests/integration/test_onnx_embedder.py) in a fraction of the
    load time. Servers and ingest keep the configured backend."""
    import os

    if backend not in ("torch", "onnx", "onnx-int8"):  # `auto` is decided per data dir (service.embed_backend)
        raise ValueError(f"embedding backend {backend!r}: expected torch, onnx or onnx-int8")
    if one_shot and backend == "torch":
        from service.model_assets import materialise_model
        from service.onnx_embedder import exported

        if exported(materialise_model(model_name, cache_dir), "onnx"):
            backend = "onnx"
    if backend != "torch":
        from service.model_assets import materialise_model
        from service.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder(materialise_model(model_name, cache_dir), model_name, backend, batch_size, threads)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    from service.model_assets import KNOWN_MODELS, materialise_model

    path = materialise_model(model_name, cache_dir)
    info = KNOWN_MODELS.get(model_name)
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True,
                                trust_remote_code=bool(info and info.trust_remote_code))
    return SentenceTransformerEmbedder(model, model_name, batch_size)
