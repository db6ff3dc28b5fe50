"""The setup wizard in a real browser: from nothing to a live NetSuite → Shipment Sync → Whiplash flow
against the sandboxes, a record error retried from the page, and another organization seeing none of it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from playwright.sync_api import expect

from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from ekyam import actions
from ekyam.models import Role
from tests.browser.conftest import login
from workflows.models import RecordError, RecordErrorStatus, Workflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROKEN_FULFILLMENT = "9003"
LIVE_TIMEOUT = 90_000  # ms; a run on a busy 2-core machine, not a performance limit


@pytest.fixture
def sandboxes():
    servers = {
        slug: SandboxServer(get_connector(slug).sandbox_app(seed=42, records=8)).start()
        for slug in ("netsuite", "whiplash")
    }
    # One item fulfillment without a ship-to city: the Shipment standard requires it, so the record
    # fails the reader mapping while the others sync.
    servers["netsuite"].app.data.upsert(
        "itemFulfillment", BROKEN_FULFILLMENT, {"shippingAddress": {"city": None}}, datetime.now(UTC)
    )
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def worker(live_portal):
    """A Celery worker in this process when a broker is configured; without one tasks run inline."""
    if not settings.REDIS_URL:
        yield None
        return
    from celery.contrib.testing.worker import start_worker

    from ekyam.celery import app

    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as running:
        yield running


def _member(org, name, role=Role.ADMIN):
    user = actions.create_user(name, f"{name}-Passw0rd!", email=f"{name}@example.com")
    actions.add_member(org, user, role)
    return user


def _connect_netsuite(page, shot, sandbox):
    credentials = get_connector("netsuite").sandbox_credentials(sandbox.url)
    page.get_by_role("link", name="Connect NetSuite").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check Authentication: NetSuite")
    page.get_by_label("Account ID").fill(credentials["account_id"])
    page.get_by_label("REST base URL").fill(credentials["base_url"])
    page.get_by_label("Consumer key").fill(credentials["consumer_key"])
    page.get_by_label("Consumer secret").fill("not-the-secret")  # the wrong key
    page.get_by_label("Token ID").fill(credentials["token_id"])
    page.get_by_label("Token secret").fill(credentials["token_secret"])
    page.get_by_role("button", name="Check").click()

    expect(page.locator("#check-error")).to_contain_text("the consumer secret or the token secret is wrong")
    expect(page.get_by_label("Consumer key")).to_have_value(credentials["consumer_key"])  # kept
    expect(page.get_by_label("Account ID")).to_have_value(credentials["account_id"])
    expect(page.get_by_label("Token ID")).to_have_value(credentials["token_id"])
    expect(page.get_by_label("Token secret")).to_have_value("")  # nothing was saved: secrets are asked again
    assert "not-the-secret" not in page.content() and credentials["token_secret"] not in page.content()
    shot(page, "netsuite-wrong-key")

    page.get_by_label("Consumer secret").fill(credentials["consumer_secret"])  # fixed after the message
    page.get_by_label("Token secret").fill(credentials["token_secret"])
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#check-result")).to_contain_text("Authenticated")
    shot(page, "netsuite-authenticated")


def _map_shipments(page, shot):
    page.get_by_role("link", name="Next: map your data").click()
    page.locator('tr[data-stream="shipments"]').get_by_role("button", name=re.compile("Map Configurations")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify: NetSuite Item fulfillments → shipment")
    expect(page.get_by_label("ship_to.city", exact=True)).to_have_value("shippingAddress.city")
    expect(page.locator(".confidence").first).to_have_attribute("title", re.compile(r"\w"))
    expect(page.locator("#preview")).to_contain_text("sample records map cleanly")
    shot(page, "mapping-verify")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Every required field is mapped")
    shot(page, "mapping-saved")


def _connect_whiplash(page, shot, sandbox):
    credentials = get_connector("whiplash").sandbox_credentials(sandbox.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Set up").click()
    page.get_by_role("link", name="Connect Whiplash").click()
    page.get_by_label("API base URL").fill(credentials["base_url"])
    page.get_by_label("Client id").fill(credentials["client_id"])
    page.get_by_label("Client secret").fill(credentials["client_secret"])
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#check-result")).to_contain_text("Authenticated")
    shot(page, "whiplash-authenticated")


def _configure_flow(page, shot):
    page.locator("#check-result").get_by_role("link", name="Configure data flows").click()
    expect(page.get_by_label("Template", exact=True)).to_have_value("shipment-sync")
    expect(page.get_by_label("Source connection", exact=True).locator("option:checked")).to_contain_text("NetSuite")
    expect(page.get_by_label("Destination connection", exact=True).locator("option:checked")).to_contain_text(
        "Whiplash"
    )
    page.get_by_label("Every (minutes)").fill("15")
    expect(page.locator("svg#flow-diagram g.node")).to_have_count(3)
    expect(page.locator("svg#flow-diagram line.edge")).to_have_count(2)
    shot(page, "flow-configuration")
    page.get_by_role("button", name="Save configuration").focus()
    page.keyboard.press("Enter")  # keyboard use
    expect(page.get_by_role("heading", level=1)).to_contain_text("Go live")


def test_new_user_goes_from_nothing_to_a_live_shipment_sync(live_portal, worker, new_page, sandboxes):
    org = actions.create_organization("Acme Apparel")
    _member(org, "nina")
    shot = new_page.shot
    page = new_page()
    login(page, live_portal.url, "nina", "nina-Passw0rd!")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Set up").click()
    expect(page.locator('[data-connector="netsuite"]')).to_contain_text(
        "NetSuite: reads Products and Shipments; no writer"
    )
    shot(page, "select-connector")

    _connect_netsuite(page, shot, sandboxes["netsuite"])
    _map_shipments(page, shot)
    _connect_whiplash(page, shot, sandboxes["whiplash"])
    _configure_flow(page, shot)

    # Go live: enabling turns the sign on, and the run's counts move, all without reloading.
    expect(page.locator("#live-connection")).to_have_text("Live updates on.")
    expect(page.locator("#flow-sign")).not_to_have_text("On")
    shot(page, "go-live-before")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Enable").click()
    expect(page.locator("#flow-sign")).to_have_text("On")
    expect(page.locator("#flow-sign")).to_have_class(re.compile(r"\bon\b"))
    expect(page.locator("svg#flow-diagram [data-sign] text")).to_have_text("On")
    shot(page, "sign-on")
    page.get_by_role("button", name="Run now").click()
    expect(page.locator('[data-count="written"]')).to_have_text("7", timeout=LIVE_TIMEOUT)
    expect(page.locator('[data-count="failed"]')).to_have_text("1", timeout=LIVE_TIMEOUT)
    expect(page.locator("#open-errors")).to_have_text("1")
    # Outcomes explained, live: each record with why; the "Run N is queued." note goes once run N finished.
    expect(page.locator('#record-outcomes li[data-outcome="written"]').first).to_contain_text(
        "created in Whiplash — order #", timeout=LIVE_TIMEOUT
    )
    expect(page.locator('#record-outcomes li[data-outcome="failed"]')).to_contain_text("failed at read mapping")
    expect(page.locator("#live-message")).to_have_text("", timeout=LIVE_TIMEOUT)
    # The Sync step's sign: amber with the reason after a partial run (it was green "On" before).
    expect(page.locator("svg#flow-diagram [data-sign]")).to_have_class(re.compile(r"\bamber\b"))
    expect(page.locator("svg#flow-diagram [data-sign] text")).to_have_text("Last run partial: 1 rec…")
    assert page.evaluate("window.__sameDocument") is True  # the page was never reloaded
    shot(page, "run-counts")

    # The failing record, corrected and retried from the page.
    page.locator("#errors-changed a").click()
    row = page.locator("#record-errors tr[data-error]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(BROKEN_FULFILLMENT)
    row.get_by_text("Correct the record").click()
    payload = row.locator("textarea")
    text = payload.input_value()
    assert '"city": null' in text
    payload.fill(text.replace('"city": null', '"city": "Ann Arbor"', 1))
    shot(page, "record-error-corrected")
    row.get_by_role("button", name=re.compile("^Retry")).click()
    expect(page.locator("#record-errors tr[data-error]")).to_have_count(0, timeout=LIVE_TIMEOUT)
    expect(page.locator("#open-errors")).to_have_text("0", timeout=LIVE_TIMEOUT)
    shot(page, "record-error-retried")

    workflow = Workflow.objects.get(organization=org)
    assert workflow.enabled and workflow.status_state == "on"
    error = RecordError.objects.get(workflow=workflow)
    assert error.status == RecordErrorStatus.RESOLVED
    assert workflow.lineage.count() == 8

    # Leaving and coming back: the overview shows every step done.
    page.goto(f"{live_portal.url}/setup/")
    expect(page.locator(".wizard-steps li.done")).to_have_count(5)
    shot(page, "setup-done")


def test_second_organization_sees_none_of_it(live_portal, new_page, sandboxes):
    from connectors import actions as connector_actions
    from workflows import actions as workflow_actions

    acme = actions.create_organization("Acme Apparel")
    bolt = actions.create_organization("Bolt Bikes")
    _member(bolt, "bob", Role.OWNER)
    netsuite = connector_actions.create_connection(
        acme,
        connector_type="netsuite",
        name="Acme NetSuite",
        credentials=get_connector("netsuite").sandbox_credentials(sandboxes["netsuite"].url),
    )
    whiplash = connector_actions.create_connection(
        acme,
        connector_type="whiplash",
        name="Acme Whiplash",
        credentials=get_connector("whiplash").sandbox_credentials(sandboxes["whiplash"].url),
    )
    workflow = workflow_actions.create_from_blueprint(
        acme, "shipment-sync", source_connection=netsuite, destination_connection=whiplash, name="Acme shipments"
    )

    page = new_page()
    login(page, live_portal.url, "bob", "bob-Passw0rd!")
    page.goto(f"{live_portal.url}/setup/")
    content = page.content()
    assert "Acme NetSuite" not in content and "Acme Whiplash" not in content and "Acme shipments" not in content
    expect(page.locator("#connections")).to_contain_text("No connections yet")
    new_page.shot(page, "other-org-setup")
    for path in (
        f"/setup/connections/{netsuite.pk}/auth/",
        f"/setup/connections/{netsuite.pk}/map/",
        f"/setup/flows/{workflow.pk}/",
        f"/setup/flows/{workflow.pk}/live/",
    ):
        response = page.goto(f"{live_portal.url}{path}")
        assert response.status == 404, path
        assert "Acme" not in page.content()
