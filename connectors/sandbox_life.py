"""A sandbox that lives: rounds of business activity on a cadence, and its data kept in a state file.

`manage.py sandbox <vendor> --activity-seconds 30 --state-file var/sandbox/<vendor>.json` (what
`make run` starts) wraps the app in a `SandboxLife`: on start it loads the state file when there is
one, a background thread runs `app.run_activity()` every `app.activity_seconds` (changeable at run
time through `POST /_sandbox/activity`) and writes the state file whenever the data changed, and
`stop()` writes it a last time. The file is replaced atomically (a temporary file in the same
directory, flushed to disk, then renamed), so a crash mid-write leaves the previous state whole.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

from connectors.sandbox import SandboxApp

log = logging.getLogger(__name__)
# How often the thread wakes to see whether a round is due or the data changed.
POLL_SECONDS = 0.5


def write_atomically(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(data, out, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_state(path: Path) -> dict | None:
    """The saved state, or None when there is none (or it is not this kind of file)."""
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("sandbox state file %s is unreadable (%s); starting from the seeded data", path, exc)
        return None
    return saved if isinstance(saved, dict) else None


class SandboxLife:
    def __init__(self, app: SandboxApp, *, activity_seconds: float = 0.0, state_file: Path | None = None):
        self.app = app
        self.state_file = Path(state_file) if state_file else None
        app.activity_seconds = max(0.0, float(activity_seconds))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.restored = False

    def load(self) -> bool:
        """Take over the state file's data when it is this vendor's with this seed."""
        if self.state_file is None:
            return False
        saved = read_state(self.state_file)
        if not saved or saved.get("vendor") != self.app.name or saved.get("seed") != self.app.seed:
            return False
        self.app.load_persisted(saved)
        self.restored = True
        return True

    def save(self) -> None:
        if self.state_file is None:
            return
        with self.app.lock:
            self.app.dirty = False
            data = self.app.persisted()
        write_atomically(self.state_file, data)

    def start(self) -> SandboxLife:
        self.load()
        self._thread = threading.Thread(target=self._loop, name=f"sandbox-life-{self.app.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.save()

    def _loop(self) -> None:
        last_round = time.monotonic()
        while not self._stop.wait(POLL_SECONDS):
            seconds = self.app.activity_seconds
            if seconds and time.monotonic() - last_round >= seconds:
                last_round = time.monotonic()
                try:
                    self.app.run_activity()
                except Exception:  # one bad round must not end the world
                    log.exception("sandbox %s: a round of activity failed", self.app.name)
            elif not seconds:
                last_round = time.monotonic()
            if self.app.dirty:
                try:
                    self.save()
                except OSError:
                    log.exception("sandbox %s: could not write %s", self.app.name, self.state_file)
