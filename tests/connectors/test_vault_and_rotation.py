"""Credentials at rest: encrypted, masked, and re-encrypted with the newest key by rotate_credentials."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection as db
from django.test import override_settings

from connectors.models import Connection
from ekyam import vault
from tests.connectors.conftest import SECRETS

pytestmark = pytest.mark.django_db


def test_secrets_are_encrypted_in_the_database_and_masked(ns_connection):
    with db.cursor() as cursor:
        cursor.execute("SELECT config, secrets_encrypted FROM connectors_connection WHERE id = %s", [ns_connection.pk])
        config, encrypted = cursor.fetchone()
    raw_row = f"{config}{encrypted}"
    assert all(secret not in raw_row for secret in SECRETS)
    assert "1234567_SB1" in raw_row  # the account id is not secret
    masked = ns_connection.masked_credentials()
    assert masked["consumer_secret"] == "••••" + SECRETS[0][-4:]
    assert masked["token_secret"] == "••••" + SECRETS[1][-4:]
    assert vault.mask("short") == "••••"  # too short to show even 4 characters safely
    assert masked["consumer_key"] == ns_connection.get_credentials()["consumer_key"]


def test_rotate_credentials_re_encrypts_with_the_newest_key(ns_connection, capsys):
    from django.conf import settings

    old_keys = list(settings.CREDENTIAL_KEYS)
    new_key = Fernet.generate_key().decode()
    before = Connection.objects.get(pk=ns_connection.pk).secrets_encrypted
    with override_settings(CREDENTIAL_KEYS=[new_key, *old_keys]):
        call_command("rotate_credentials")
        assert "1 connection" in capsys.readouterr().out
        after = Connection.objects.get(pk=ns_connection.pk).secrets_encrypted
        assert after != before
    # Only the new key is left: rotated rows still decrypt …
    with override_settings(CREDENTIAL_KEYS=[new_key]):
        assert Connection.objects.get(pk=ns_connection.pk).get_credentials()["token_secret"] == SECRETS[1]
    # … and the old key alone can no longer read them.
    with override_settings(CREDENTIAL_KEYS=old_keys), pytest.raises(ImproperlyConfigured):
        Connection.objects.get(pk=ns_connection.pk).get_credentials()


def test_rotate_credentials_also_re_encrypts_webhook_headers_and_signing_secrets(org_a, capsys):
    from django.conf import settings

    from webhooks import actions as webhook_actions
    from webhooks.models import Endpoint

    endpoint, secret = webhook_actions.create_endpoint(
        org_a, url="http://127.0.0.1:9/rotated", headers={"Authorization": "Bearer sk_live_rotate_me"}
    )
    before = Endpoint.objects.filter(pk=endpoint.pk).values("headers_encrypted", "secrets_encrypted").get()
    old_keys = list(settings.CREDENTIAL_KEYS)
    new_key = Fernet.generate_key().decode()
    with override_settings(CREDENTIAL_KEYS=[new_key, *old_keys]):
        call_command("rotate_credentials")
        assert f"Re-encrypted 1 {Endpoint._meta.verbose_name_plural} " in capsys.readouterr().out
    after = Endpoint.objects.filter(pk=endpoint.pk).values("headers_encrypted", "secrets_encrypted").get()
    assert after["headers_encrypted"] != before["headers_encrypted"]
    assert after["secrets_encrypted"] != before["secrets_encrypted"]
    with override_settings(CREDENTIAL_KEYS=[new_key]):
        rotated = Endpoint.objects.get(pk=endpoint.pk)
        assert rotated.headers == {"Authorization": "Bearer sk_live_rotate_me"}
        assert webhook_actions.reveal_secret(rotated) == secret
