"""Job functions for fault tests, importable by a real RQ worker process."""
from __future__ import annotations

import time
from pathlib import Path


def slow_once(marker: str, seconds: float = 60.0) -> str:
    """The first attempt hangs (long enough to be killed); a retry finishes at once."""
    path = Path(marker)
    if not path.exists():
        path.write_text("started")
        time.sleep(seconds)
        return "first attempt"
    return "retried"
