"""`manage.py standalone` as a supervisor: a worker killed with SIGKILL is restarted, the rest stays up."""

import json
import os
import re
import signal
import subprocess
import sys
import threading

import pytest

from bench.common import wait_for
from ekyam.embedded import free_port
from tests.foundation.test_standalone_smoke import _get, bare_machine_env

pytestmark = pytest.mark.slow


def _watch(lines, proc, timeout, seen, what):
    """What `seen(lines)` returns once it is true (`bench.common.wait_for`); fails at once if standalone
    exits first, and with its last output if `timeout` seconds pass."""

    def check():
        value = seen(list(lines))
        assert value or proc.poll() is None, "standalone exited:\n" + "".join(lines[-60:])
        return value

    try:
        return wait_for(check, timeout, interval=0.2, what=what)
    except TimeoutError as error:
        raise AssertionError(f"no {what}:\n" + "".join(lines[-60:])) from error


def _wait_for(lines, pattern, timeout, proc):
    def first_match(seen):
        return next((match for line in seen if (match := re.search(pattern, line))), None)

    return _watch(lines, proc, timeout, first_match, f"line matching {pattern!r}")


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
        _watch(lines, proc, 30, lambda seen: sum("worker restarted" in line for line in seen) >= 2, "second restart")
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
