"""A newcomer's tour of the whole portal in a real browser: every page of the main navigation and the
detail pages behind them render their key content without a server error, each with a screenshot
(test-artifacts/screenshots/test_every_portal_page_renders_its_key_content/)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from connectors import actions as connector_actions
from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from ekyam import actions
from ekyam.alerts.models import Alert
from ekyam.models import Role
from ekyam.navigation import MAIN_NAV
from tests.browser.conftest import login
from webhooks import actions as webhook_actions
from webhooks.models import DeadLetter, Delivery, Endpoint, Message
from webhooks.secrets import new_secrets_token
from workflows import actions as workflow_actions
from workflows.models import ErrorClass, RecordError, Run, RunStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERVER_ERROR_MARKERS = ("Server Error", "Traceback", "TemplateSyntaxError", "NoReverseMatch")


@pytest.fixture
def sandboxes():
    servers = {
        slug: SandboxServer(get_connector(slug).sandbox_app(seed=7, records=4)).start()
        for slug in ("netsuite", "whiplash")
    }
    yield servers
    for server in servers.values():
        server.stop()


def _seed(sandboxes):
    """An organization as a week of use leaves it: two sandbox connections, their mappings, a
    workflow with a finished run and an open record error, a webhook endpoint with a dead-lettered
    message, and an alert."""
    org = actions.create_organization("Acme Apparel")
    owner = actions.create_user("olga", "olga-Passw0rd!", email="olga@example.com")
    actions.add_member(org, owner, Role.OWNER)
    viewer = actions.create_user("vic", "vic-Passw0rd!", email="vic@example.com")
    actions.add_member(org, viewer, Role.VIEWER)
    connections = {
        slug: connector_actions.create_connection(
            org,
            connector_type=slug,
            name=f"Acme {get_connector(slug).name}",
            credentials=get_connector(slug).sandbox_credentials(server.url),
        )
        for slug, server in sandboxes.items()
    }
    for connection in connections.values():
        assert connector_actions.check_connection(connection).ok
    workflow = workflow_actions.create_from_blueprint(
        org,
        "shipment-sync",
        source_connection=connections["netsuite"],
        destination_connection=connections["whiplash"],
        name="Acme shipments",
    )
    now = timezone.now()
    run = Run.objects.create(
        organization=org, workflow=workflow, trigger="manual", status=RunStatus.SUCCEEDED,
        started_at=now, finished_at=now, read_count=4, mapped_count=3, written_count=3, failed_count=1,
    )  # fmt: skip
    error = RecordError.objects.create(
        organization=org, workflow=workflow, run=run, trace_key="netsuite:itemFulfillment:9003",
        error_class=ErrorClass.VALIDATION, stage="read_mapping", message="ship_to.city is required.",
        source_payload={"id": "9003", "shippingAddress": {"city": None}},
    )  # fmt: skip
    # Created directly: the endpoint checks resolve the host, and tests never reach the internet.
    endpoint = Endpoint.objects.create(
        organization=org, url="https://hooks.example.com/ekyam", description="Warehouse dashboard",
        secrets_encrypted=new_secrets_token()[1],
    )  # fmt: skip
    event_id = uuid.uuid4()
    message = Message.objects.create(
        organization=org, event_id=event_id, webhook_id=webhook_actions.webhook_id_for(event_id),
        event_type="shipment.created", body={"type": "shipment.created", "data": {"id": "9001"}}, occurred_at=now,
    )  # fmt: skip
    delivery = Delivery.objects.create(
        organization=org, message=message, endpoint=endpoint, status=Delivery.Status.DEAD, attempt_count=8,
        last_status_code=503, last_error="HTTP 503 from the endpoint",
    )  # fmt: skip
    dead = DeadLetter.objects.create(
        organization=org, delivery=delivery, endpoint=endpoint, event_type=message.event_type,
        payload=message.body, reason="8 attempts failed; last: HTTP 503 from the endpoint",
    )  # fmt: skip
    alert = Alert.objects.create(
        organization=org, kind=Alert.Kind.DLQ, title="A shipment.created message was dead-lettered",
        reason=dead.reason, link=reverse("webhooks:dead-letter-detail", args=[dead.pk]),
    )  # fmt: skip
    return {
        "org": org,
        "connections": connections,
        "workflow": workflow,
        "run": run,
        "error": error,
        "endpoint": endpoint,
        "message": message,
        "dead": dead,
        "alert": alert,
    }


def _problems(page, path, status, heading, content) -> list[str]:
    """What is wrong with the page just loaded, as readable sentences (empty when nothing is)."""
    found = []
    if status != 200:
        found.append(f"{path} answered {status}")
    text = page.content()
    found += [f"{path} shows {marker!r}" for marker in SERVER_ERROR_MARKERS if marker in text]
    headings = page.evaluate("() => [...document.querySelectorAll('h1')].map(h => h.innerText)")
    if len(headings) != 1:
        found.append(f"{path} has {len(headings)} h1 headings")
    elif heading not in headings[0]:
        found.append(f"{path}: heading {headings[0]!r} lacks {heading!r}")
    main = page.evaluate("() => document.querySelector('main') ? document.querySelector('main').innerText : ''")
    found += [f"{path}: {expected!r} not shown" for expected in content if expected not in main]
    # Consistency every page shares: every form control labelled, tables with headers.
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')]
              .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                            && !el.getAttribute('aria-labelledby'))
              .map(el => el.name || el.id)"""
    )
    if unlabelled:
        found.append(f"{path}: form controls without a label: {unlabelled}")
    if page.evaluate("() => [...document.querySelectorAll('main table')].filter(t => !t.querySelector('th')).length"):
        found.append(f"{path}: a table without headers")
    return found


def test_every_navigation_entry_names_a_real_page():
    for label, name in MAIN_NAV:
        # NoReverseMatch would hide the entry from everyone; an API route would show JSON to a person.
        assert not reverse(name).startswith("/api/"), label


def test_every_portal_page_renders_its_key_content(live_portal, new_page, sandboxes):
    seeded = _seed(sandboxes)
    shot = new_page.shot
    base = live_portal.url
    page = new_page()
    login(page, base, "olga", "olga-Passw0rd!")
    nav = page.get_by_role("navigation", name="Main")
    for label, _name in MAIN_NAV:
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(1)

    netsuite, whiplash = seeded["connections"]["netsuite"], seeded["connections"]["whiplash"]
    workflow, run, error = seeded["workflow"], seeded["run"], seeded["error"]
    endpoint, message, dead = seeded["endpoint"], seeded["message"], seeded["dead"]
    pages = [
        ("/", "home", "Acme Apparel", ["Set up"]),
        ("/setup/", "setup", "Set up your integrations", ["Acme NetSuite", "Acme Whiplash", "Acme shipments"]),
        ("/connections/", "connections", "Connections", ["Acme NetSuite", "Acme Whiplash"]),
        (f"/connections/{netsuite.pk}/", "connection-netsuite", "Acme NetSuite", ["Item fulfillments", "Verified"]),
        (f"/connections/{whiplash.pk}/", "connection-whiplash", "Acme Whiplash", ["Whiplash"]),
        ("/mappings/", "mappings", "Mappings", ["Acme NetSuite", "Acme Whiplash", "shipment", "complete"]),
        ("/standards/", "standards", "Ekyam Data Standards", ["ship_to.city"]),
        (f"/setup/connections/{netsuite.pk}/map/", "mapping-choose", "Map your data", ["Item fulfillments"]),
        (f"/setup/connections/{netsuite.pk}/map/shipments/", "mapping-verify", "Verify", ["ship_to.city"]),
        ("/workflows/", "workflows", "Workflows", ["Acme shipments"]),
        (f"/workflows/{workflow.pk}/", "workflow-status", "Acme shipments", ["Recent runs", error.trace_key]),
        (f"/runs/{run.pk}/", "run", f"Run {run.pk}", ["Written", error.trace_key]),
        (f"/setup/flows/{workflow.pk}/", "flow-configuration", "Configure data flows", ["Shipment"]),
        (f"/setup/flows/{workflow.pk}/live/", "go-live", "Go live", ["Acme shipments"]),
        ("/record-errors/", "record-errors", "Record errors", [error.trace_key, "ship_to.city is required."]),
        ("/developers/webhooks/", "developer-endpoints", "Webhook", ["hooks.example.com"]),
        (f"/developers/webhooks/endpoints/{endpoint.pk}/", "developer-endpoint", "hooks.example.com", []),
        ("/developers/webhooks/messages/", "developer-messages", "Messages", ["shipment.created"]),
        (f"/developers/webhooks/messages/{message.pk}/", "developer-message", "shipment.created", []),
        ("/developers/webhooks/dlq/", "developer-dlq", "Dead", ["shipment.created"]),
        (f"/developers/webhooks/dlq/{dead.pk}/", "developer-dead-letter", "shipment.created", ["HTTP 503"]),
        ("/developers/alerts/", "alerts", "Alerts", ["dead-lettered"]),
        ("/settings/members/", "members", "Members", ["olga", "vic"]),
        ("/settings/api-keys/", "api-keys", "API keys", ["Create"]),
    ]
    problems = []
    script_errors: list[str] = []
    page.on("pageerror", lambda exc: script_errors.append(str(exc)))
    for path, name, heading, content in pages:
        response = page.goto(f"{base}{path}")
        page.wait_for_load_state("load")
        problems += _problems(page, path, response.status, heading, content)
        problems += [f"{path}: script error {e}" for e in script_errors]
        script_errors.clear()
        shot(page, name)  # every page, so a failure still leaves the whole tour to look at
    assert not problems, "\n".join(problems)


def test_record_errors_are_retried_and_resolved_from_the_page(live_portal, new_page, sandboxes):
    seeded = _seed(sandboxes)
    first = seeded["error"]
    second = RecordError.objects.create(
        organization=seeded["org"], workflow=seeded["workflow"], run=seeded["run"],
        trace_key="netsuite:itemFulfillment:9004", error_class=ErrorClass.VALIDATION, stage="read_mapping",
        message="ship_to.country is required.", source_payload={"id": "9004"},
    )  # fmt: skip
    page = new_page()
    login(page, live_portal.url, "olga", "olga-Passw0rd!")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Record errors").click()
    rows = page.locator("#record-errors tr[data-error]")
    expect(rows).to_have_count(2)

    page.get_by_label(f"Select {first.trace_key}").check()
    page.get_by_role("button", name="Retry selected").click()
    expect(page.locator(".messages")).to_contain_text("Retrying 1 record(s) in run")
    retry = Run.objects.filter(workflow=seeded["workflow"], trigger="retry").get()
    assert retry.params == {"record_error_ids": [first.pk]}
    new_page.shot(page, "retry-selected")

    page.get_by_label(f"Select {second.trace_key}").check()
    page.get_by_role("button", name="Resolve selected").click()
    expect(page.locator(".messages")).to_contain_text("Marked 1 record error(s) as resolved")
    second.refresh_from_db()
    assert second.status == "resolved" and second.resolution == "manual"
    expect(rows).to_have_count(1)  # the retried one stays open until its run succeeds

    page.get_by_role("button", name="Resolve", exact=True).click()
    expect(page.locator(".empty")).to_contain_text("No open record errors")
    new_page.shot(page, "all-resolved")

    # A viewer sees the open errors but no buttons to change them.
    first.status = "open"
    first.save(update_fields=["status"])
    viewer = new_page()
    login(viewer, live_portal.url, "vic", "vic-Passw0rd!")
    viewer.goto(f"{live_portal.url}/record-errors/")
    expect(viewer.locator("#record-errors tr[data-error]")).to_have_count(1)
    expect(viewer.get_by_role("button", name="Retry selected")).to_have_count(0)
