"""Forms by keyboard alone, with focus always visible; the NetSuite credential form showing only the
chosen sign-in method's fields; field errors announced and tied to their inputs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from ekyam import actions
from ekyam.models import Role
from tests.browser.conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  return {id: el.id, tag: el.tagName, text: (el.textContent || '').trim(),
          visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0};
}"""


@pytest.fixture
def whiplash_sandbox():
    server = SandboxServer(get_connector("whiplash").sandbox_app(seed=3, records=2)).start()
    yield server
    server.stop()


def _admin(name="kai"):
    org = actions.create_organization("Keyboard Co")
    user = actions.create_user(name, f"{name}-Passw0rd!", email=f"{name}@example.com")
    actions.add_member(org, user, Role.ADMIN)
    return org


def _tab_until(page, matches, limit=60):
    """Press Tab until `matches(focused)`; every element on the way must show its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        assert focused["visible"], f"no visible focus on {focused}"
        if matches(focused):
            return focused
    raise AssertionError("the keyboard never reached the expected control")


def test_keyboard_only_check_authentication_step(live_portal, new_page, whiplash_sandbox):
    _admin()
    credentials = get_connector("whiplash").sandbox_credentials(whiplash_sandbox.url)
    page = new_page()
    login(page, live_portal.url, "kai", "kai-Passw0rd!")
    page.goto(f"{live_portal.url}/setup/")

    # The skip link comes first and lands in the content; from there Tab reaches the Whiplash card.
    assert _tab_until(page, lambda f: f["tag"] == "A", limit=1)["text"] == "Skip to content"
    page.keyboard.press("Enter")
    _tab_until(
        page,
        lambda f: (
            f["tag"] == "A"
            and "Connect" in f["text"]
            and "whiplash" in page.evaluate("document.activeElement.getAttribute('href')")
        ),
    )
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check Authentication: Whiplash")

    for name in ("base_url", "client_id", "client_secret"):
        _tab_until(page, lambda f, name=name: f["id"] == f"id_{name}")
        page.keyboard.type(credentials[name])
    new_page.shot(page, "keyboard-filled")
    _tab_until(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Check")
    page.keyboard.press("Enter")
    expect(page.locator("#check-result")).to_contain_text("Authenticated")
    new_page.shot(page, "keyboard-authenticated")


def test_netsuite_form_shows_only_the_chosen_sign_in_methods_fields(live_portal, new_page):
    _admin("nia")
    page = new_page()
    login(page, live_portal.url, "nia", "nia-Passw0rd!")
    page.goto(f"{live_portal.url}/setup/connect/netsuite/")
    tba, oauth = page.get_by_label("Token ID"), page.get_by_label("Client ID (OAuth 2.0)")
    expect(tba).to_be_visible()
    expect(oauth).to_be_hidden()
    expect(page.get_by_label("Private key (OAuth 2.0)")).to_be_hidden()
    new_page.shot(page, "netsuite-tba")

    page.get_by_label("Token ID").fill("kept-token-id")
    page.get_by_label("Authentication", exact=True).select_option("oauth2")
    expect(oauth).to_be_visible()
    expect(page.get_by_label("Certificate ID (OAuth 2.0)")).to_be_visible()
    expect(tba).to_be_hidden()
    new_page.shot(page, "netsuite-oauth2")

    # Submitting without the OAuth 2.0 fields: each error is announced and tied to its input, and
    # the chosen method's fields are still the ones shown.
    page.get_by_label("Account ID").fill("1234567")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_label("Authentication", exact=True)).to_have_value("oauth2")
    error = page.locator("#id_client_id_errors")
    expect(error).to_have_attribute("role", "alert")
    expect(oauth).to_have_attribute("aria-describedby", "id_client_id_helptext id_client_id_errors")
    expect(oauth).to_have_attribute("aria-invalid", "true")
    expect(tba).to_be_hidden()
    new_page.shot(page, "netsuite-oauth2-errors")

    page.get_by_label("Authentication", exact=True).select_option("tba")
    expect(tba).to_have_value("kept-token-id")  # switching back keeps what was typed
