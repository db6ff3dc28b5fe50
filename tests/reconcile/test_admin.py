"""The admin pages of reports, plans and reconciliation settings: read-only records with their items inline,
"Apply" only where the caller may write, settings saved through the action that keeps the Beat row.
(Organization scoping of every page, filter, choice and action is walked by
tests/foundation/test_admin_sweep.py, which covers these admins like every other.)"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django_celery_beat.models import PeriodicTask

from ekyam.models import Role
from workflows.models import Run, Trigger, Workflow
from workflows.reconcile import admin as reconcile_admin
from workflows.reconcile.models import Plan, PlanItem, ReconcileSettings, Reconciliation, ReconciliationItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(org_a):
    workflow = Workflow.objects.create(organization=org_a, name="Inventory")
    report = Reconciliation.objects.create(organization=org_a, workflow=workflow, status="succeeded", drifted_count=1)
    ReconciliationItem.objects.create(
        report=report, status="drifted", key="whiplash:1", label="SKU-1 @ Main", payload={"available": 5},
        source_value=5, destination_value=2, units=-3,
    )  # fmt: skip
    plan = Plan.objects.create(organization=org_a, workflow=workflow, status="succeeded", create_count=1)
    PlanItem.objects.create(plan=plan, action="create", key="netsuite:7", payload={"id": 7})
    return workflow, report, plan


def _staff(make_member, org, name, role):
    user = make_member(org, name, role, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="reconcile"))
    return user


def test_report_and_plan_pages_are_read_only_with_their_items_inline(rows, org_a, make_member, client):
    _workflow, report, plan = rows
    client.force_login(_staff(make_member, org_a, "dev", Role.DEVELOPER))

    page = client.get(f"/admin/reconcile/reconciliation/{report.pk}/change/")
    assert page.status_code == 200
    assert b"SKU-1 @ Main" in page.content and b"whiplash:1" in page.content
    assert not page.context["adminform"].form.fields  # every field read-only
    (inline,) = page.context["inline_admin_formsets"]
    assert [f.instance.key for f in inline.formset.forms] == ["whiplash:1"]
    assert not inline.has_add_permission and not inline.has_change_permission and not inline.has_delete_permission
    plan_page = client.get(f"/admin/reconcile/plan/{plan.pk}/change/")
    assert plan_page.status_code == 200 and b"netsuite:7" in plan_page.content
    assert client.get("/admin/reconcile/plan/add/").status_code == 403

    saved = client.post(f"/admin/reconcile/reconciliation/{report.pk}/change/", {"status": "failed"})
    assert saved.status_code == 403
    report.refresh_from_db()
    assert report.status == "succeeded"


def test_the_inline_lists_only_the_first_items_of_a_large_report(rows, org_a, make_member, client, monkeypatch):
    _workflow, report, _plan = rows
    ReconciliationItem.objects.bulk_create(
        ReconciliationItem(report=report, status="in_sync", key=f"whiplash:{n}") for n in range(2, 12)
    )
    monkeypatch.setattr(reconcile_admin, "ITEMS_SHOWN", 4)
    client.force_login(_staff(make_member, org_a, "dev", Role.DEVELOPER))
    page = client.get(f"/admin/reconcile/reconciliation/{report.pk}/change/")
    (inline,) = page.context["inline_admin_formsets"]
    assert [f.instance.key for f in inline.formset.forms] == ["whiplash:1", "whiplash:2", "whiplash:3", "whiplash:4"]


def test_apply_queues_the_run_once_for_writers_and_is_not_offered_to_viewers(rows, org_a, make_member, client):
    workflow, report, plan = rows
    client.force_login(_staff(make_member, org_a, "viewer", Role.VIEWER))
    listing = client.get("/admin/reconcile/reconciliation/")
    assert listing.status_code == 200 and listing.context["action_form"] is None  # a viewer runs no action
    client.post("/admin/reconcile/reconciliation/", {"action": "apply_selected", "_selected_action": [report.pk]})
    assert not Run.objects.exists()

    client.force_login(_staff(make_member, org_a, "dev", Role.DEVELOPER))
    offered = client.get("/admin/reconcile/plan/").context["action_form"].fields["action"].choices
    assert "apply_selected" in [value for value, _label in offered]
    for model, job in (("reconciliation", report), ("plan", plan)):
        for _twice in range(2):
            response = client.post(
                f"/admin/reconcile/{model}/", {"action": "apply_selected", "_selected_action": [job.pk]}
            )
            assert response.status_code == 302
    report.refresh_from_db()
    plan.refresh_from_db()
    runs = Run.objects.filter(workflow=workflow)
    assert sorted(runs.values_list("trigger", flat=True)) == sorted([Trigger.RECONCILE, Trigger.PLAN])
    assert {report.apply_run_id, plan.apply_run_id} == set(runs.values_list("pk", flat=True))

    unfinished = Plan.objects.create(organization=org_a, workflow=workflow, status="running")
    response = client.post(
        "/admin/reconcile/plan/", {"action": "apply_selected", "_selected_action": [unfinished.pk]}, follow=True
    )
    assert "Only a finished plan can be applied." in [str(m) for m in response.context["messages"]][-1]
    assert runs.count() == 2


def test_settings_save_through_the_action_keeping_the_beat_row(rows, org_a, make_member, client):
    workflow, _report, _plan = rows
    settings = ReconcileSettings.objects.create(organization=org_a, workflow=workflow)
    client.force_login(_staff(make_member, org_a, "dev", Role.DEVELOPER))
    url = f"/admin/reconcile/reconcilesettings/{settings.pk}/change/"
    form = {
        "schedule_enabled": "on",
        "interval_seconds": "60",
        "drift_count_threshold": "",
        "drift_units_threshold": "",
    }

    refused = client.post(url, form)
    assert refused.status_code == 200 and "at most every 5 minutes" in str(refused.context["adminform"].form.errors)
    assert not PeriodicTask.objects.filter(name=f"reconcile:{workflow.pk}").exists()

    assert client.post(url, {**form, "interval_seconds": "3600"}).status_code == 302
    task = PeriodicTask.objects.get(name=f"reconcile:{workflow.pk}")
    assert task.interval.every == 3600 and task.enabled
    settings.refresh_from_db()
    assert settings.periodic_task_id == task.pk

    assert client.post(url, {**form, "schedule_enabled": "", "interval_seconds": "3600"}).status_code == 302
    assert not PeriodicTask.objects.filter(name=f"reconcile:{workflow.pk}").exists()
