from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service.domain_config import load_domain
from service.errors import ConfigurationError
from service.settings import REPO_CONFIG_DIR, load_settings


def test_environment_and_overrides() -> None:
    s = load_settings({"embed_batch_size": 8}, environ={"MAILLON_DATA_DIR": "/tmp/x", "REDIS_URL": "redis://h:1/0"})
    assert s.data_dir == Path("/tmp/x")
    assert s.redis_url == "redis://h:1/0"
    assert s.embed_batch_size == 8


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"MAILLON_BACKEND": "mongo"}, "MAILLON_BACKEND"),
        ({"MAILLON_BACKEND": "elasticsearch"}, "ES_URL"),
        ({"MAILLON_EMBED_BATCH_SIZE": "many"}, "MAILLON_EMBED_BATCH_SIZE"),
        ({"MAILLON_VECTOR_INDEX": "lsh"}, "MAILLON_VECTOR_INDEX"),
        ({"MAILLON_CONFIG_DIR": "/nonexistent"}, "MAILLON_CONFIG_DIR"),
    ],
)
def test_invalid_settings_name_the_variable(environ: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigurationError, match=names):
        load_settings(environ=environ)


def test_domain_config_loads() -> None:
    domain = load_domain(REPO_CONFIG_DIR)
    assert len(domain.sectors) >= 6
    assert domain.resolve_link("aeronautics", "Traitement de surface") == "surface_treatment"
    assert domain.cooperation_types["technology_partner"]["reciprocal"] is True


def _copy_config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(REPO_CONFIG_DIR, target)
    return target


def test_domain_error_names_file_and_field(tmp_path: Path) -> None:
    config = _copy_config(tmp_path)
    text = (config / "cooperation.yaml").read_text().replace("reciprocal: true", "reciprocal: maybe", 1)
    (config / "cooperation.yaml").write_text(text)
    with pytest.raises(ConfigurationError) as info:
        load_domain(config)
    assert "cooperation.yaml" in info.value.message
    assert "reciprocal" in info.value.message


def test_domain_missing_file_is_named(tmp_path: Path) -> None:
    config = _copy_config(tmp_path)
    (config / "limits.yaml").unlink()
    with pytest.raises(ConfigurationError, match="limits.yaml"):
        load_domain(config)


def test_domain_duplicate_links_rejected(tmp_path: Path) -> None:
    config = _copy_config(tmp_path)
    (config / "value_chains.yaml").write_text(
        "version: 1\nsectors:\n  s:\n    labels: {en: S}\n    links:\n"
        "      - {key: a, labels: {en: A}}\n      - {key: a, labels: {en: A2}}\n")
    with pytest.raises(ConfigurationError, match="duplicate link keys"):
        load_domain(config)


def test_relative_paths_are_made_absolute_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings({"data_dir": "var/demo"}, environ={})
    assert s.data_dir == tmp_path / "var" / "demo" and s.data_dir.is_absolute()
    assert load_settings(environ={}).data_dir == tmp_path / "var"
    assert load_settings(environ={"MAILLON_MODEL_CACHE": "m"}).models_dir == tmp_path / "m"


def test_an_unknown_override_is_an_error() -> None:
    with pytest.raises(ConfigurationError, match="data_dri"):
        load_settings({"data_dri": "/tmp/x"}, environ={})


def test_missing_matching_config_fails_at_startup(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(REPO_CONFIG_DIR, config)
    (config / "matching.yaml").unlink()
    with pytest.raises(ConfigurationError, match="matching.yaml"):
        load_domain(config)
