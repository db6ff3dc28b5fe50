"""Boot the whole portal the way `make run` does, on SQLite with no Redis, and ask it for /healthz."""

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from ekyam.embedded import free_port

pytestmark = pytest.mark.slow


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def _free_port_run(count: int) -> int:
    """A first port with `count` free ports from it (the sandboxes listen on consecutive ports)."""
    import socket

    for _ in range(50):
        first = free_port()
        try:
            for offset in range(count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", first + offset))
            return first
        except OSError:
            continue
    raise RuntimeError("no run of free ports found")


def bare_machine_env(var_dir) -> dict[str, str]:
    """The environment of a fresh machine: none of the suite's servers, its own var dir and sandbox ports."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EKYAM_", "DATABASE_URL", "REDIS_URL", "CELERY_", "KAFKA_"))
    }
    env["EKYAM_VAR_DIR"] = str(var_dir)
    env["EKYAM_SANDBOX_ACTIVITY"] = "off"  # the suite keeps the sandboxes still
    env["EKYAM_SANDBOX_BASE_PORT"] = str(_free_port_run(3))
    return env


def test_standalone_serves_healthz_login_and_is_ready(tmp_path):
    env = bare_machine_env(tmp_path)
    port = free_port()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, check=True, timeout=300)
    seeded = subprocess.run(
        [sys.executable, "manage.py", "seed_demo"], env=env, check=True, timeout=120, capture_output=True, text=True
    )
    assert "password" in seeded.stdout
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "standalone", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "portal did not come up"
                time.sleep(0.5)
        assert status == 200 and json.loads(body) == {"status": "ok"}
        status, body = _get(f"http://127.0.0.1:{port}/login/")
        assert status == 200 and b"Log in" in body
        # The embedded broker is up, so the portal reports itself ready.
        status, body = _get(f"http://127.0.0.1:{port}/readyz")
        ready = json.loads(body)
        assert ready["checks"]["database"]["detail"] == "sqlite"
        assert ready["status"] == "ok", ready
        # Mails go to the console on embedded defaults, so `make run` shows a reset (or invitation)
        # link the newcomer can open.
        _request_password_reset(f"http://127.0.0.1:{port}", "admin@ekyam.localhost")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
            pytest.fail("standalone did not stop within 40s of Ctrl-C:\n" + output[-3000:])
    assert "Stopping Ekyam" in output
    # The sandboxes say where they send their webhooks without the connections' inbound tokens.
    assert f"Whiplash sandbox sends its webhooks to http://127.0.0.1:{port}/hooks/whiplash/[redacted]/" in output
    assert not re.search(r"/hooks/(whiplash|shopify)/(?!\[redacted\])[\w-]{8,}", output), output[-3000:]
    assert "E-mails are printed here" in output
    assert "Subject: Reset your Ekyam password" in output
    assert re.search(rf"http://127\.0\.0\.1:{port}/password-reset/[\w-]+/[\w-]+/", output), output[-3000:]


def _request_password_reset(base_url: str, email: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base_url}/password-reset/", timeout=10) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": email}).encode()
    request = urllib.request.Request(f"{base_url}/password-reset/", data=body, headers={"Referer": base_url + "/"})
    with opener.open(request, timeout=30) as response:
        assert response.status == 200 and "Check your e-mail" in response.read().decode()
