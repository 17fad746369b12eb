"""The embedding model on ONNX Runtime: exported once, offline, from the rebuilt local model
folder (float32, then int8 weights by dynamic quantisation), and run with the folder's own
tokenizer, prompts, pooling and normalisation, so vectors match the PyTorch backend's.

sentence-transformers' own ONNX backend needs `optimum`, whose releases pin transformers 4.x
(this service runs 5.x); the export and the session here are the same two steps without it:
torch.onnx for the graph and onnxruntime's quantiser for int8.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from service.embeddings import TOKEN_BUDGET, token_batches
from service.errors import ConfigurationError

BACKENDS = ("torch", "onnx", "onnx-int8")
# Fused graphs (attention, skip layer norm, GELU): the names change with the export recipe.
FILES = {"onnx": "model_fused.onnx", "onnx-int8": "model_fused_qint8.onnx"}
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_onnx(folder: Path, backend: str) -> Path:
    """The ONNX file of `backend` for a sentence-transformers folder, exported on first need
    into <folder>/onnx/ (atomically: concurrent processes never read half a file). int8 is
    quantised from the fused graph still in memory when both are made in one go."""
    target = folder / "onnx" / FILES[backend]
    if target.is_file():
        return target
    float_path = folder / "onnx" / FILES["onnx"]
    fused: Any = None
    if not float_path.is_file():
        # On the terminal, not only in the log: whoever waits for this should know why.
        print(f"maillon: exporting the embedding model {folder.name} to ONNX, once ...", file=sys.stderr, flush=True)
        fused = _export_fused(folder)
        _atomic(float_path, lambda tmp: fused.save_model_to_file(str(tmp)))
    if backend == "onnx-int8":
        _atomic(target, lambda tmp: _quantise(fused.model if fused is not None else float_path, tmp))
    return target


def _atomic(target: Path, build: Any) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}-", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    started = time.monotonic()
    try:
        build(tmp)
        tmp.chmod(0o644)
        os.replace(tmp, target)
        print(f"maillon: {target.parent.parent.name}/onnx/{target.name} written in {time.monotonic() - started:.0f}s",
              file=sys.stderr, flush=True)
    finally:
        tmp.unlink(missing_ok=True)


def _export_fused(folder: Path) -> Any:
    """The model's graph, exported by torch.onnx's TorchScript exporter (the dynamo one takes
    minutes here) and fused; an onnxruntime OnnxModel, not yet saved."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # the terminal of a first run shows our two lines only
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    hf = getattr(model[0], "auto_model", None)
    if hf is None:
        raise ConfigurationError(f"MAILLON_EMBED_BACKEND=onnx needs a transformer model; {folder} has none")
    # Plain attention ops, which onnxruntime's optimiser fuses into one Attention kernel.
    hf.set_attn_implementation("eager")

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hf = hf

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.hf(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state

    sample = model.tokenizer(["query: un exemple", "passage: an example text"], padding=True, return_tensors="pt")
    args = (sample["input_ids"], sample["attention_mask"], torch.zeros_like(sample["input_ids"]))
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    (folder / "onnx").mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".raw-", suffix=".onnx", dir=folder / "onnx")
    os.close(fd)
    raw = Path(name)
    try:
        # The tracer's warnings are about Python branches on shapes; the exported graph takes any
        # batch and length (tests/integration/test_onnx_embedder.py compares it with PyTorch).
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(LastHiddenState().eval(), args, str(raw), input_names=list(_INPUTS),
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17,
                              dynamo=False)
        return _fuse(raw, int(hf.config.num_attention_heads), int(hf.config.hidden_size))
    finally:
        raw.unlink(missing_ok=True)


def _fuse(raw: Path, heads: int, hidden: int) -> Any:
    """onnxruntime's transformer optimiser (what optimum's O2 level runs): fused attention,
    skip layer norm and GELU kernels, same float32 weights. opt_level 0: the same fused graph
    as 1 in half the time (the session applies its basic optimisations at load anyway)."""
    from onnxruntime.transformers.optimizer import optimize_model

    return optimize_model(str(raw), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0)


def _quantise(source: Any, out: Path) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The fused kernels are contrib ops that shape inference cannot type: their outputs are float.
    # Per-tensor int8 weights, all of MatMul, Attention and the embedding table: per-channel
    # weights, unsigned weights, reduce_range and leaving the embedding or attention in float were
    # no faster per CPU-second on AVX2 (no VNNI) and no better in ESCO R@10; 4/8-bit MatMulNBits
    # was slower; the tanh GELU approximation (FastGelu) cost ESCO R@10 0.011.
    logging.disable(logging.WARNING)  # the quantiser's advice to pre-process, on the root logger
    try:
        quantize_dynamic(source if not isinstance(source, Path) else str(source), str(out), weight_type=QuantType.QInt8,
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
    finally:
        logging.disable(logging.NOTSET)


class OnnxEmbedder:
    """Same interface as SentenceTransformerEmbedder. The session is opened per process on
    first use: onnxruntime's thread pool must not be inherited across a fork."""

    def __init__(self, folder: Path, name: str, backend: str, batch_size: int = 64, threads: int = 0) -> None:
        self.name, self.backend, self.batch_size, self.threads = name, backend, batch_size, threads
        self.path = export_onnx(folder, backend)
        st_config = _read(folder / "sentence_bert_config.json")
        self.max_length = int(st_config.get("max_seq_length") or 512)
        self.tokenizer = fast_tokenizer(folder)
        self.tokenizer.enable_truncation(self.max_length)
        self.pad_id = int((self.tokenizer.padding or {}).get("pad_id") or 0)
        self.tokenizer.no_padding()  # _batch pads each length-sorted batch itself
        self.token_budget = TOKEN_BUDGET
        self.prompts = _read(folder / "config_sentence_transformers.json").get("prompts") or {}
        pooling = _read(folder / "1_Pooling" / "config.json")
        self.dims = int(pooling.get("word_embedding_dimension") or pooling.get("embedding_dimension"))
        self.mode = "cls" if pooling.get("pooling_mode_cls_token") or pooling.get("pooling_mode") == "cls" else "mean"
        self._session: Any = None
        self._pid = 0
        self._lock = threading.Lock()

    def after_fork(self) -> None:
        self._session, self._lock = None, threading.Lock()

    def _open(self) -> Any:
        if self._session is None or self._pid != os.getpid():
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            if self.threads:
                options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1  # the graph is a chain: no parallel branches to run
            # Idle pool threads sleep instead of spinning: the cores are shared with other processes.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
            self._pid = os.getpid()
        return self._session

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.prompts.get("query", ""))

    def encode_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.prompts.get("document", ""))

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            session = self._open()
            encodings = self.tokenizer.encode_batch([prompt + t for t in texts])
            for rows in token_batches([len(e.ids) for e in encodings], self.batch_size, self.token_budget):
                out[rows] = self._batch(session, [encodings[i] for i in rows])
        return out

    def _batch(self, session: Any, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)], mask[row, : len(e.ids)] = e.ids, 1
        ids[mask == 0] = self.pad_id
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(["last_hidden_state"], feeds)[0]
        if self.mode == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def fast_tokenizer(folder: Path) -> Any:
    """The model's tokenizer as transformers builds it (its normaliser and pre-tokeniser differ from
    tokenizer.json's: trailing spaces), saved once per transformers version beside the ONNX files
    and read back with `tokenizers` alone, so a process that embeds one text does not spend
    seconds importing transformers."""
    import copy
    import importlib.metadata

    from tokenizers import Tokenizer

    path = folder / "onnx" / f"tokenizer-transformers-{importlib.metadata.version('transformers')}.json"
    if not path.is_file():
        from transformers import AutoTokenizer

        built = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        backend = copy.deepcopy(built.backend_tokenizer)
        backend.no_truncation()
        backend.enable_padding(pad_id=built.pad_token_id, pad_token=built.pad_token)
        _atomic(path, lambda tmp: backend.save(str(tmp)))
    return Tokenizer.from_file(str(path))


def export_in_background(folder: Path, backend: str = "onnx-int8") -> bool:
    """Start the export in a child process at the lowest CPU priority, unless it is made or
    under way (a lock file naming a live process); its output goes to <folder>/onnx/export.log.
    It stops with the process that started it (the next start takes it up again), so stopping
    the demo leaves nothing running. True when a process was started."""
    import subprocess

    if exported(folder, backend):
        return False
    lock = folder / "onnx" / ".export.lock"
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        if lock.is_file() and _alive(int(lock.read_text() or 0)):
            return False
        with open(folder / "onnx" / "export.log", "ab") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "service.onnx_embedder", str(folder), backend], stdin=subprocess.DEVNULL,
                stdout=log_file, stderr=log_file, start_new_session=True,
                cwd=Path(__file__).resolve().parent.parent)
        lock.write_text(str(process.pid))
        threading.Thread(target=process.wait, daemon=True).start()  # reaped when done, no zombie
        atexit.register(_stop, process)
    except (OSError, ValueError) as exc:  # a read-only model folder: the configured backend still serves
        logging.getLogger(__name__).warning("background ONNX export of %s not started: %s", folder, exc)
        return False
    return True


def _stop(process: Any) -> None:
    """SIGTERM: the export's own handler unwinds, so its half-written temporary file is removed."""
    if process.poll() is None:
        process.terminate()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def exported(folder: Path, backend: str) -> bool:
    return (folder / "onnx" / FILES[backend]).is_file()


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError as exc:
        raise ConfigurationError(f"model file {path}: {exc}") from exc


def drop_exports(folder: Path) -> None:
    """Remove the exported files (the next load exports again), e.g. after a model rebuild."""
    shutil.rmtree(folder / "onnx", ignore_errors=True)


if __name__ == "__main__":  # export_in_background's process: python -m service.onnx_embedder FOLDER BACKEND
    os.nice(19)  # the lowest priority: serving and ingesting go first
    # Stopped with its parent: unwind (finally blocks remove the temporary files) instead of dying.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        export_onnx(Path(sys.argv[1]), sys.argv[2])
        fast_tokenizer(Path(sys.argv[1]))  # so the first process on it need not import transformers
    finally:
        (Path(sys.argv[1]) / "onnx" / ".export.lock").unlink(missing_ok=True)
