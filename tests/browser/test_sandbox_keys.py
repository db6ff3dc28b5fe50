"""A newcomer connects NetSuite, Whiplash and Shopify with the sandbox's credentials the connect form
offers (no key typed), then saves a NetSuite → Shipment Sync → Whiplash configuration built on those
fresh connections (the Whiplash writer's default mapping) and sees records written."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connectors import sandboxes
from connectors.models import Connection, ConnectionStatus
from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from ekyam import actions
from ekyam.models import Role
from tests.browser.conftest import login
from tests.browser.test_setup_wizard import worker  # noqa: F401  (fixture)
from tests.foundation.test_standalone_smoke import _free_port_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LIVE_TIMEOUT = 90_000  # ms; a run on a busy 2-core machine, not a performance limit


@pytest.fixture
def offered_sandboxes(monkeypatch, settings, live_portal):
    """The three sandboxes where the connect form says they are (the offered base URLs)."""
    base = _free_port_run(3)
    monkeypatch.setattr(sandboxes, "SANDBOX_BASE_PORT", base)
    settings.BASE_URL = live_portal.url
    servers = {}
    for slug in ("netsuite", "whiplash", "shopify"):
        options = {"records": 6} if slug == "netsuite" else {}
        app = get_connector(slug).sandbox_app(seed=42, **options)
        servers[slug] = SandboxServer(app, port=sandboxes.sandbox_port(slug)).start()
    yield servers
    for server in servers.values():
        server.stop()


def _connect_with_sandbox_keys(page, shot, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Set up").click()
    page.get_by_role("link", name=f"Connect {name}").click()
    page.get_by_role("link", name="Use the sandbox's credentials").click()
    expect(page.locator("#sandbox-credentials-note")).to_contain_text("not a real account")
    expect(page.get_by_label("Connection name")).to_have_value(f"{name} sandbox")
    shot(page, f"{name.lower()}-sandbox-keys-filled")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#check-result")).to_contain_text("Authenticated")
    shot(page, f"{name.lower()}-authenticated")


def test_a_newcomer_connects_with_the_offered_sandbox_keys(live_portal, worker, new_page, offered_sandboxes):  # noqa: F811
    org = actions.create_organization("Fresh Goods")
    user = actions.create_user("fiona", "fiona-Passw0rd!", email="fiona@example.com")
    actions.add_member(org, user, Role.ADMIN)
    shot = new_page.shot
    page = new_page()
    login(page, live_portal.url, "fiona", "fiona-Passw0rd!")

    for name in ("NetSuite", "Whiplash", "Shopify"):
        _connect_with_sandbox_keys(page, shot, name)
    connections = {c.connector_type: c for c in Connection.objects.filter(organization=org)}
    assert {c.status for c in connections.values()} == {ConnectionStatus.VERIFIED}
    for slug in ("whiplash", "shopify"):  # their webhooks now reach these connections
        token = connections[slug].webhook_token
        assert offered_sandboxes[slug].app.subscriptions == [f"{live_portal.url}/hooks/{slug}/{token}/"]

    # The flow on the fresh connections: destinations offer no NetSuite; saving builds the Whiplash
    # writer's default mapping and reaches the go-live page.
    page.goto(f"{live_portal.url}/setup/flows/new/?template=shipment-sync")
    destination = page.get_by_label("Destination connection", exact=True)
    expect(destination.locator("option:checked")).to_contain_text("Whiplash sandbox")
    expect(destination.locator("option", has_text="NetSuite")).to_have_count(0)
    shot(page, "flow-on-sandbox-connections")
    page.get_by_role("button", name="Save configuration").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Go live", timeout=LIVE_TIMEOUT)
    shot(page, "go-live")
    page.get_by_role("button", name="Enable").click()
    page.get_by_role("button", name="Run now").click()
    expect(page.locator('[data-count="written"]')).to_have_text("6", timeout=LIVE_TIMEOUT)
    shot(page, "records-written")
    assert len(offered_sandboxes["whiplash"].app.orders) == 6
