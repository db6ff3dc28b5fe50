"""Browser tests: the real ASGI app served by uvicorn on loopback, driven by Playwright in Debian's
Chromium (no browser download). Screenshots of each step land in test-artifacts/screenshots/."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from ekyam.embedded import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


class ThreadedServer:
    def __init__(self, port: int):
        from ekyam.asgi import application

        self.port = port
        self.server = uvicorn.Server(
            uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the portal did not start")
            time.sleep(0.05)
        return self

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def live_portal(transactional_db):
    server = ThreadedServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def browser(monkeypatch):
    """One Chromium per test. Playwright's sync API keeps an event loop running in this thread, so
    the test's own ORM calls need Django's async-safety check off; both end with the test, so
    other tests keep the check."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
        # While the event loop ran, the test's ORM calls used a connection of their own (Django's
        # connections are context-local); close it here, where it is still reachable, so the test
        # database can be flushed and dropped afterwards.
        connections.close_all()


@pytest.fixture
def new_page(browser, request):
    """Open pages in fresh browser contexts (one per user); `shot(page, name)` saves a screenshot."""
    contexts = []
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def open_page():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15000)
        contexts.append(context)
        return context.new_page()

    def shot(page, name):
        counter["n"] += 1
        page.screenshot(path=str(folder / f"{counter['n']:02d}-{name}.png"), full_page=True)

    open_page.shot = shot
    yield open_page
    for context in contexts:
        context.close()


def login(page, base_url, username, password):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/$"))


def sign_up(page, base_url, username, password, organization, shot):
    """Create an account with a new organization from the log-in page (e-mail username@example.com):
    screenshots the filled form and waits for the setup wizard."""
    page.goto(f"{base_url}/login/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("E-mail address").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_label("Organization name").fill(organization)
    shot(page, "sign-up")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(re.compile(r".*/setup/$"))
