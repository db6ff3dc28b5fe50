"""At 390 px wide (a phone), the setup, mapping, workflow, run and developer pages never scroll sideways
(document.documentElement.scrollWidth <= innerWidth: wide tables scroll inside their own box), and the
workflow diagram is drawn top to bottom with the Sync step's sign readable. Screenshots in
test-artifacts/screenshots/test_pages_fit_a_390_px_screen/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, login
from tests.browser.test_portal_tour import _seed, sandboxes  # noqa: F401 (the fixture)
from workflows.models import OutcomeKind, RecordOutcome

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The outermost elements reaching past the window's right edge, named for the failure message.
WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter(el => !el.parentElement || el.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5)
  .slice(0, 5)
  .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && el.className.baseVal === undefined
       ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '') + ' ' + Math.round(el.getBoundingClientRect().width))"""


def test_pages_fit_a_390_px_screen(live_portal, browser, sandboxes):  # noqa: F811
    seeded = _seed(sandboxes)
    workflow, run, netsuite = seeded["workflow"], seeded["run"], seeded["connections"]["netsuite"]
    RecordOutcome.objects.create(
        organization=seeded["org"], run=run, source_key="netsuite:shipments:9001-with-a-rather-long-key",
        outcome=OutcomeKind.UNCHANGED, reason="already in Whiplash with the same content — order #100042",
    )  # fmt: skip
    folder = ARTIFACTS / "test_pages_fit_a_390_px_screen"
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(15000)
    page = context.new_page()
    login(page, live_portal.url, "olga", "olga-Passw0rd!")
    pages = [
        ("/setup/", "setup"),
        (f"/setup/connections/{netsuite.pk}/map/", "mapping-choose"),
        (f"/setup/connections/{netsuite.pk}/map/shipments/", "mapping-verify"),
        ("/mappings/", "mappings"),
        ("/standards/", "standards"),
        ("/workflows/", "workflows"),
        (f"/workflows/{workflow.pk}/", "workflow"),
        (f"/runs/{run.pk}/", "run"),
        (f"/setup/flows/{workflow.pk}/", "flow-configuration"),
        (f"/setup/flows/{workflow.pk}/live/", "go-live"),
        ("/record-errors/", "record-errors"),
        ("/developers/webhooks/messages/", "messages"),
        (f"/developers/webhooks/messages/{seeded['message'].pk}/", "message"),
        (f"/developers/webhooks/endpoints/{seeded['endpoint'].pk}/", "endpoint"),
    ]
    too_wide = []
    try:
        for index, (path, name) in enumerate(pages, start=1):
            page.goto(f"{live_portal.url}{path}")
            page.wait_for_load_state("load")
            page.screenshot(path=str(folder / f"{index:02d}-{name}.png"), full_page=True)
            scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            if scroll > inner:
                culprits = page.evaluate(WIDEST)
                too_wide.append(f"{path}: {scroll} px wide in a {inner} px window; widest: {culprits}")
            if name in ("workflow", "go-live"):
                expect(page.locator("svg#flow-diagram")).to_be_hidden()
                stacked = page.locator("svg#flow-diagram-narrow")
                expect(stacked).to_be_visible()
                sign = stacked.locator("[data-sign] text")
                expect(sign).to_be_visible()
                height = sign.bounding_box()["height"]
                assert height >= 12, f"{path}: the Sync step's sign is {height:.1f} px tall"
        assert not too_wide, "\n".join(too_wide)
    finally:
        context.close()
