"""`manage.py standalone` as a supervisor: a worker killed with SIGKILL is restarted, the rest stays up."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from ekyam.embedded import free_port
from tests.foundation.test_standalone_smoke import _get, bare_machine_env

pytestmark = pytest.mark.slow


def _wait_for(lines, pattern, timeout, proc):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in list(lines):
            match = re.search(pattern, line)
            if match:
                return match
        assert proc.poll() is None, "standalone exited:\n" + "".join(lines[-60:])
        time.sleep(0.2)
    raise AssertionError(f"no line matching {pattern!r}:\n" + "".join(lines[-60:]))


def test_a_killed_worker_is_restarted_and_the_portal_stays_up(tmp_path):
    env = bare_machine_env(tmp_path)
    port = free_port()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, check=True, timeout=300)
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "standalone", "--port", str(port), "--no-kafka", "--worker-concurrency", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        _wait_for(lines, r"Ekyam is running", 120, proc)
        worker = int(_wait_for(lines, r"worker started \(pid (\d+)\)", 5, proc).group(1))
        os.killpg(worker, signal.SIGKILL)

        _wait_for(lines, r"worker exited with code -9; restarting it in 1 s \(restart 1 of at most 5", 30, proc)
        restarted = int(_wait_for(lines, r"worker restarted \(pid (\d+)\)", 30, proc).group(1))
        assert restarted != worker
        os.kill(restarted, 0)  # alive
        status, body = _get(f"http://127.0.0.1:{port}/healthz")  # the web process never stopped
        assert status == 200 and json.loads(body) == {"status": "ok"}

        os.killpg(restarted, signal.SIGKILL)  # a second death waits twice as long
        _wait_for(lines, r"worker exited with code -9; restarting it in 2 s \(restart 2 of at most 5", 30, proc)
        deadline = time.monotonic() + 30
        while sum("worker restarted" in line for line in lines) < 2:
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines[-60:])
            time.sleep(0.2)
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("standalone did not stop within 40s of Ctrl-C:\n" + "".join(lines[-60:]))
        reader.join(5)
    assert any("Stopping Ekyam" in line for line in lines)
