"""Sign-in throttling per account and per address (django-axes), and a Content-Security-Policy on
every page with no inline script left for it to block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db

PASSWORD = "pw-owner_a-x9!"


def _attempt(client, username, password, address="203.0.113.7"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_an_account_locks_after_repeated_failures_even_with_the_right_password(client, owner_a, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for index in range(limit):
        # a new address each time: the account's own count locks it
        response = _attempt(client, "owner_a", "wrong", address=f"198.51.100.{index + 1}")
        assert response.status_code in (200, 429)
    locked = _attempt(client, "owner_a", PASSWORD, address="198.51.100.200")
    assert locked.status_code == 429 and b"Too many failed sign-ins" in locked.content
    assert "_auth_user_id" not in client.session


def test_an_address_locks_across_accounts(client, owner_a, make_member, org_a, settings):
    from ekyam.models import Role

    make_member(org_a, "other", Role.VIEWER)
    for index in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, f"guess{index}", "wrong", address="192.0.2.50")
    assert _attempt(client, "other", "pw-other-x9!", address="192.0.2.50").status_code == 429
    # Another address is unaffected.
    assert _attempt(client, "other", "pw-other-x9!", address="192.0.2.51").status_code == 302


def test_a_success_below_the_limit_signs_in_and_resets(client, owner_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, "owner_a", "wrong", address="203.0.113.9")
    assert _attempt(client, "owner_a", PASSWORD, address="203.0.113.10").status_code == 302


@pytest.mark.parametrize("path", ["/login/", "/", "/workflows/", "/settings/api-keys/", "/api/docs/", "/admin/login/"])
def test_every_page_carries_the_policy(client, owner_a, path):
    client.force_login(owner_a)
    response = client.get(path, follow=True)
    policy = response.headers.get("Content-Security-Policy", "")
    assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_no_template_has_inline_script_style_or_handler():
    offenders = []
    for path in Path(django_settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(
            r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>|<style\b|\son[a-z]+=", text
        ):
            offenders.append(f"{path.name}: {match.group(0)}")
    assert not offenders, offenders
