"""deploy/ cannot run here (no Docker engine): check what can be checked statically, and that the
compose file, the gunicorn configuration and the service's settings agree."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.errors import ConfigurationError
from service.settings import _ENV, load_settings

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
# Read by deploy/gunicorn.conf.py, not by Settings.
GUNICORN_VARS = {"MAILLON_BIND", "MAILLON_WORKERS", "MAILLON_THREADS", "MAILLON_TIMEOUT_S",
                 "MAILLON_GRACEFUL_TIMEOUT_S", "MAILLON_ACCESS_LOG", "WEB_CONCURRENCY"}
COMPOSE_ONLY = {"ELASTIC_PASSWORD", "MAILLON_ES_PASSWORD", "ES_HEAP", "MAILLON_WORKER_REPLICAS"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def seconds(value: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([smh])", value))


def env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.split(" #")[0].strip()
    return out


def test_compose_services_and_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"elasticsearch", "es-setup", "redis", "api", "worker"}
    assert services["elasticsearch"]["image"].split(":")[-1].startswith("8.")
    assert services["elasticsearch"]["environment"]["xpack.security.enabled"] == "true"
    assert "--appendonly" in services["redis"]["command"]
    for name in ("elasticsearch", "redis", "api", "worker"):
        assert "healthcheck" in services[name], name
    assert services["worker"]["command"] == ["maillon", "worker"]
    assert "Worker.all" in " ".join(services["worker"]["healthcheck"]["test"])


def test_app_environment_is_known_to_the_settings(compose: dict[str, Any]) -> None:
    """Every variable the app containers get is read by Settings or gunicorn (no typo is silently
    ignored), and the values parse into valid settings."""
    for name in ("api", "worker"):
        env = {k: str(v) for k, v in compose["services"][name]["environment"].items()}
        unknown = set(env) - set(_ENV) - GUNICORN_VARS
        assert not unknown, (name, unknown)
        env["ES_PASSWORD"] = "a-real-secret-from-env"
        settings = load_settings(environ=env)
        assert settings.backend == "elasticsearch" and settings.es_replicas == 0
        assert settings.es_username and settings.es_username != "elastic"  # least privilege
        assert settings.redis_url == "redis://redis:6379/0"
    example = env_file(DEPLOY / ".env.example")
    assert not set(example) - set(_ENV) - GUNICORN_VARS - COMPOSE_ONLY
    load_settings(environ={k: v for k, v in example.items() if k in _ENV})  # the example values parse


def test_api_waits_for_its_dependencies(compose: dict[str, Any]) -> None:
    depends = compose["services"]["api"]["depends_on"]
    assert depends["elasticsearch"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["es-setup"]["condition"] == "service_completed_successfully"


def test_stop_grace_periods_cover_a_job_and_a_request(compose: dict[str, Any]) -> None:
    services = compose["services"]
    job_timeout = load_settings(environ=services["worker"]["environment"]).job_timeout_s
    assert seconds(services["worker"]["stop_grace_period"]) > job_timeout
    assert seconds(services["api"]["stop_grace_period"]) > gunicorn_config({})["graceful_timeout"]


def test_containers_do_not_run_as_root(compose: dict[str, Any]) -> None:
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert compose["services"]["redis"]["user"] == "redis"
    assert compose["services"]["es-setup"]["user"].split(":")[0] == "1000"


def test_placeholder_passwords_are_refused() -> None:
    example = env_file(DEPLOY / ".env.example")
    with pytest.raises(ConfigurationError, match="ES_PASSWORD"):
        load_settings(environ={"MAILLON_BACKEND": "elasticsearch", "ES_URL": "http://es:9200",
                               "ES_USERNAME": "maillon", "ES_PASSWORD": example["MAILLON_ES_PASSWORD"]})
    script = (DEPLOY / "es-setup.sh").read_text()
    assert "refuse_placeholder ELASTIC_PASSWORD" in script and "refuse_placeholder MAILLON_ES_PASSWORD" in script
    result = subprocess.run(["bash", str(DEPLOY / "es-setup.sh")], capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "ELASTIC_PASSWORD": example["ELASTIC_PASSWORD"],
                                 "MAILLON_ES_PASSWORD": "x" * 20})
    assert result.returncode == 1 and "placeholder" in result.stderr


def test_app_role_has_only_the_documented_privileges() -> None:
    script = (DEPLOY / "es-setup.sh").read_text()
    readme = (ROOT / "README.md").read_text()
    assert '\\"cluster\\": [\\"monitor\\"]' in script
    privileges = re.findall(r'\\"(read|write|create_index|delete_index|manage|view_index_metadata)\\"', script)
    assert sorted(privileges) == sorted(["read", "write", "create_index", "delete_index", "manage",
                                         "view_index_metadata"])
    for privilege in ("monitor", *privileges):
        assert f"`{privilege}`" in readme, privilege


def test_dockerignore_keeps_secrets_and_clutter_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for entry in (".git", ".venv", "deploy/.env", "var"):
        assert entry in ignored, entry


def test_dockerfile_takes_cpu_torch_first() -> None:
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    torch = next(i for i, line in enumerate(lines) if "torch==" in line and line.startswith("RUN"))
    install = next(i for i, line in enumerate(lines) if "pip install -e ." in line)
    assert torch < install and "TORCH_INDEX" in lines[torch]


def gunicorn_config(env: dict[str, str]) -> dict[str, Any]:
    """deploy/gunicorn.conf.py as gunicorn itself reads it, in a clean process."""
    code = ("import json, sys; from gunicorn.config import Config; from gunicorn.app.base import Application\n"
            "class A(Application):\n"
            "    def init(self, *a): return {}\n"
            "    def load(self): return None\n"
            "    def load_config(self): self.cfg = Config(); self.load_config_from_file(sys.argv[1])\n"
            "c = A().cfg\n"
            "print(json.dumps({k: c.settings[k].get() for k in "
            "('bind', 'workers', 'threads', 'timeout', 'graceful_timeout', 'preload_app')}))")
    import json

    out = subprocess.run([sys.executable, "-c", code, str(DEPLOY / "gunicorn.conf.py")], capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin", **env}, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_gunicorn_config_parses_and_follows_the_compose_environment(compose: dict[str, Any]) -> None:
    env = {k: str(v) for k, v in compose["services"]["api"]["environment"].items()}
    cfg = gunicorn_config({**env, "MAILLON_WORKERS": "3"})
    assert cfg["bind"] == [env["MAILLON_BIND"]] and cfg["workers"] == 3 and cfg["preload_app"] is True
    assert cfg["timeout"] >= 60 and 0 < cfg["graceful_timeout"] < cfg["timeout"]
    source = (DEPLOY / "gunicorn.conf.py").read_text()
    assert "after_fork" in source  # each worker reopens its sockets
