import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from ekyam.env import env_bool, env_int, env_list, env_str, env_url


def test_missing_required_variable_names_it(monkeypatch):
    monkeypatch.delenv("EKYAM_SOMETHING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="EKYAM_SOMETHING"):
        env_str("EKYAM_SOMETHING")


@pytest.mark.parametrize(
    ("helper", "value"),
    [(env_bool, "perhaps"), (env_int, "ten"), (env_url, "not a url")],
)
def test_malformed_values_fail_loudly(monkeypatch, helper, value):
    monkeypatch.setenv("EKYAM_X", value)
    with pytest.raises(ImproperlyConfigured, match="EKYAM_X"):
        helper("EKYAM_X")


def test_typed_values_parse(monkeypatch):
    monkeypatch.setenv("EKYAM_B", "yes")
    monkeypatch.setenv("EKYAM_I", " 42 ")
    monkeypatch.setenv("EKYAM_L", "a, b,,c")
    assert env_bool("EKYAM_B") is True
    assert env_int("EKYAM_I") == 42
    assert env_list("EKYAM_L") == ["a", "b", "c"]
    assert env_int("EKYAM_MISSING_INT", 7) == 7


def test_int_minimum(monkeypatch):
    monkeypatch.setenv("EKYAM_I", "0")
    with pytest.raises(ImproperlyConfigured, match="EKYAM_I must be >= 1"):
        env_int("EKYAM_I", minimum=1)


def _manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EKYAM_", "DATABASE_URL", "REDIS_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_bad_database_url_stops_start_up_naming_the_variable():
    result = _manage("check", DATABASE_URL="mysql-ish:nonsense")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_production_requires_secret_key():
    result = _manage("check", EKYAM_PRODUCTION="true", EKYAM_ALLOWED_HOSTS="ekyam.example.com")
    assert result.returncode != 0
    assert "EKYAM_SECRET_KEY" in result.stderr


def test_production_profile_passes_deploy_check(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        EKYAM_PRODUCTION="true",
        EKYAM_SECRET_KEY="p" * 10 + "roduction-secret-" + "x7Q!k2#Lm9$zR4^vB8&nW1*" * 2,
        EKYAM_ALLOWED_HOSTS="ekyam.example.com",
        EKYAM_CREDENTIAL_KEYS="ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
        EKYAM_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr + result.stdout
