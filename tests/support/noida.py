"""Start and stop a throwaway noida-db Elasticsearch-compatible server (tests only)."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO

LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


class NoidaUnavailableError(RuntimeError):
    """noida-db is not installed, cannot run here, or did not answer in time."""


def find_binary() -> Path:
    """Path of the native noida-db binary shipped inside the `noida-db` wheel.

    We run the native binary, not the `noida-db` console script: the script is a
    Python wrapper that spawns the binary as a child, so terminating the wrapper
    would leave the server running.
    """
    override = os.environ.get("NOIDA_DB_BIN")
    if override:
        path = Path(override)
    else:
        try:
            path = Path(str(resources.files("noida_db").joinpath("noida-db")))
        except ModuleNotFoundError as exc:
            raise NoidaUnavailableError("the noida-db package is not installed") from exc
    if not path.is_file():
        raise NoidaUnavailableError(f"noida-db binary not found at {path}")
    if not os.access(path, os.X_OK):
        # The upstream wrapper does the same: wheels do not always keep the mode bit.
        try:
            path.chmod(0o755)
        except OSError as exc:
            raise NoidaUnavailableError(f"{path} is not executable: {exc}") from exc
    return path


def free_port(host: str = LOOPBACK) -> int:
    """A port that was free a moment ago (the caller retries if it is taken since)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class NoidaServer:
    """One running noida-db process serving only Elasticsearch."""

    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log_path: Path
    _log: IO[bytes] = field(repr=False)
    _scratch: Path | None = field(default=None, repr=False)

    def stop(self, timeout: float = 5.0) -> None:
        """Ctrl-C (what noida-db documents for `start`), then SIGKILL if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self._log.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        atexit.unregister(self.stop)

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.url.removeprefix("http://").rpartition(":")
        return host, int(port)

    def log_tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""


def start_elasticsearch(
    data_dir: Path | None = None,
    *,
    host: str = LOOPBACK,
    port: int | None = None,
    timeout: float = 15.0,
    attempts: int = 3,
) -> NoidaServer:
    """Start noida-db with only its Elasticsearch API and wait until `GET /` answers.

    With no `port`, a free loopback port is picked, and another one is tried if
    some other process grabs it first. The log goes to a scratch directory that
    `stop()` deletes, and so does the data unless `data_dir` is given (noida-db
    persists indices in its data dir, and only one server may use a directory).
    """
    binary = find_binary()
    scratch = Path(tempfile.mkdtemp(prefix="noida-es-"))
    data = scratch / "data" if data_dir is None else Path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    try:
        for attempt in range(attempts if port is None else 1):
            chosen = free_port(host) if port is None else port
            if port is not None and not _port_is_free(host, port):
                # Else the readiness probe could be answered by whoever holds the port.
                raise NoidaUnavailableError(f"port {port} on {host} is already in use")
            server = _spawn(binary, data, scratch / f"noida-{attempt}.log", host, chosen)
            failure = _wait_ready(server, timeout)
            if failure is None:
                server._scratch = scratch
                return server
            server.stop()
            log = server.log_tail()
            errors.append(f"port {chosen}: {failure}\n{log}")
            if "already in use" not in log:
                break
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    shutil.rmtree(scratch, ignore_errors=True)
    raise NoidaUnavailableError("noida-db did not start:\n" + "\n".join(errors))


def restart_elasticsearch(server: NoidaServer, *, timeout: float = 15.0) -> NoidaServer:
    """Stop `server` and start a new one on the same port and data dir (outage tests).

    The server must have been started with an explicit `data_dir`, else its data is gone.
    Retries for `timeout` seconds while the old process still holds the port.
    """
    server.stop()
    host, port = server.host_port
    deadline = time.monotonic() + timeout
    while True:
        try:
            return start_elasticsearch(server.data_dir, host=host, port=port, timeout=timeout)
        except NoidaUnavailableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _spawn(binary: Path, data_dir: Path, log_path: Path, host: str, port: int) -> NoidaServer:
    log = log_path.open("wb")
    args = [
        str(binary),
        "start",
        "--only",
        "elasticsearch",
        "--host",
        host,
        "--elasticsearch-port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    except OSError as exc:
        log.close()
        raise NoidaUnavailableError(f"cannot execute {binary}: {exc}") from exc
    server = NoidaServer(process, f"http://{host}:{port}", data_dir, log_path, log)
    # Safety net for interrupted sessions; the fixture's finalizer normally stops it first.
    atexit.register(server.stop)
    return server


def _die_with_parent() -> None:
    """Linux: have the kernel SIGKILL the server if the test process dies (even by SIGKILL)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR: a port whose old connections linger in TIME_WAIT is free to listen on
        # (restarts); a port with a live listener still fails to bind.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/", timeout=1.0) as resp:
            return resp.status == 200 and resp.headers.get("X-Elastic-Product") == "Elasticsearch"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _wait_ready(server: NoidaServer, timeout: float) -> str | None:
    """None once our process answers like Elasticsearch, else why it did not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            return f"exited with code {code}"
        if _answers(server.url):
            # A process that lost a race for the port exits within milliseconds:
            # make sure the answer came from ours, not from the port's new owner.
            time.sleep(0.2)
            code = server.process.poll()
            return None if code is None else f"exited with code {code}"
        time.sleep(0.05)
    return f"no answer within {timeout:.0f}s"
