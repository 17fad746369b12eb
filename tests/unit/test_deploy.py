"""deploy/ cannot run here (no Docker engine): check what can be checked statically."""
from __future__ import annotations

from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent.parent.parent / "deploy"


def test_compose_services_and_health_checks() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"elasticsearch", "redis", "api", "worker"}
    assert services["elasticsearch"]["image"].split(":")[-1].startswith("8.")
    assert services["elasticsearch"]["environment"]["xpack.security.enabled"] == "true"
    assert "--appendonly" in services["redis"]["command"]
    for name in ("elasticsearch", "redis", "api"):
        assert "healthcheck" in services[name], name
    assert services["api"]["environment"]["MAILLON_BACKEND"] == "elasticsearch"
    assert services["worker"]["command"] == ["maillon", "worker"]


def test_dockerfile_takes_cpu_torch_first() -> None:
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    torch = next(i for i, line in enumerate(lines) if "torch==" in line and line.startswith("RUN"))
    install = next(i for i, line in enumerate(lines) if "pip install -e ." in line)
    assert torch < install and "TORCH_INDEX" in lines[torch]


def test_gunicorn_config_imports() -> None:
    source = (DEPLOY / "gunicorn.conf.py").read_text()
    compile(source, "gunicorn.conf.py", "exec")
    assert "preload_app = True" in source
