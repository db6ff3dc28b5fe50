"""Admin polish: every model of the project has a plural an English reader expects, and list pages keep to
columns that fit."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model

PROJECT_APPS = {"ekyam", "events", "alerts", "connectors", "mapping", "workflows", "reconcile", "webhooks"}
EXPECTED = {
    "Delivery": "deliveries",
    "AlertSettings": "alert settings",
    "ReconcileSettings": "reconciliation settings",
    "SuggestionFeedback": "suggestion feedback",
    "Lineage": "lineage records",
    "RecordOutcome": "record outcomes",
}
MAX_COLUMNS = 7


def project_models():
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def test_every_model_has_a_proper_plural():
    names = {m.__name__: str(m._meta.verbose_name_plural) for m in project_models()}
    for model, plural in EXPECTED.items():
        assert names[model] == plural
    # Django's default adds an "s": "settingss", "deliverys", "feedbacks" are what it makes of these words.
    odd = {m: p for m, p in names.items() if p.endswith(("ss", "feedbacks")) or re.search(r"[^aeiou]ys$", p)}
    assert odd == {}


def test_admin_lists_keep_to_columns_that_fit():
    wide = {
        model.__name__: len(model_admin.list_display)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS and len(model_admin.list_display) > MAX_COLUMNS
    }
    assert wide == {}


@pytest.mark.django_db
def test_admin_index_shows_the_plurals(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-long-enough-1")
    client.force_login(user)
    page = client.get("/admin/").content.decode()
    for plural in ("Deliveries", "Alert settings", "Suggestion feedback", "Lineage records", "Record outcomes"):
        assert f">{plural}<" in page, plural
    assert "Deliverys" not in page and "settingss" not in page
