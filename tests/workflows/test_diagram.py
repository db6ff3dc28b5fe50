"""The diagram: labels that fit the box (two lines, then "…", the full label as tooltip), the workflow's sign
on the Sync step (green On / amber with the reason / grey Off), and a stacked drawing for narrow screens."""

from __future__ import annotations

import pytest
from django.test import Client

from workflows import actions
from workflows.status import derive
from workflows.wizard import diagram


def test_long_labels_wrap_onto_two_lines_and_are_cut_after():
    assert diagram.label_lines("Shipment Sync") == [(40, "Shipment Sync")]
    lines = [text for _y, text in diagram.label_lines("NetSuite item fulfillments from the east warehouse annex")]
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(len(text) <= diagram.LABEL_CHARS for text in lines)


@pytest.mark.parametrize(
    ("state", "reason", "tone", "text"),
    [
        ("on", "On", "on", "On"),
        ("off", "Paused by olga.", "off", "Off"),
        ("degraded", "Last run failed: Whiplash answered 503", "amber", "Last run failed: Whipla…"),
        ("not_configured", "No trigger: set a schedule.", "amber", "No trigger: set a sched…"),
    ],
)
def test_the_sync_step_carries_the_sign(state, reason, tone, text):
    sign = diagram.Sign(state, reason)
    assert (sign.tone, sign.text) == (tone, text)


@pytest.mark.django_db
def test_pages_draw_the_sign_on_the_sync_step_in_both_layouts(owner_a, workflow):
    picture = diagram.for_workflow(workflow, derive(workflow))
    signs = {n.key: n.sign for n in picture["nodes"]}
    assert signs["source"] is None and signs["destination"] is None and signs["sync"].text == "On"
    stacked = picture["narrow"]
    assert len({n.x for n in stacked["nodes"]}) == 1 and stacked["width"] < picture["width"] / 2
    assert all(e.vertical and e.y2 > e.y1 for e in stacked["edges"])

    client = Client()
    client.force_login(owner_a)
    page = client.get(f"/workflows/{workflow.pk}/").content.decode()
    assert page.count('class="step-sign on" data-sign data-state="on"') == 2  # wide and stacked drawings
    actions.pause_workflow(workflow, reason="Paused for the stocktake.")
    page = client.get(f"/workflows/{workflow.pk}/").content.decode()
    assert 'class="step-sign off" data-sign data-state="off"' in page and "Off: Paused for the stocktake." in page
