import pytest
from django.utils import timezone

from ekyam import actions
from ekyam.models import ApiKey, Role

pytestmark = pytest.mark.django_db


def test_key_is_shown_once_stored_hashed_and_prefixed(client_for, admin_a, org_a):
    client = client_for(admin_a)
    response = client.post("/api/v1/api-keys/", {"name": "ERP bridge", "role": "developer"})
    assert response.status_code == 201, response.content
    raw = response.json()["key"]
    assert raw.startswith("eky_")
    key = ApiKey.objects.get(pk=response.json()["id"])
    assert raw not in (key.key_hash, key.prefix) and raw.startswith(key.prefix)
    listed = client.get(f"/api/v1/api-keys/{key.pk}/").json()
    assert "key" not in listed and raw not in str(listed)


def test_key_authenticates_records_last_use_and_is_revocable(api_client, org_a, client_for, admin_a):
    key, raw = actions.create_api_key(org_a, "machine", Role.DEVELOPER)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api_client.get("/api/v1/organization/")
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Apparel"
    key.refresh_from_db()
    assert key.last_used_at is not None and key.last_used_at <= timezone.now()

    assert client_for(admin_a).post(f"/api/v1/api-keys/{key.pk}/revoke/").status_code == 200
    response = api_client.get("/api/v1/organization/")
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "revoked_api_key", "message": "This API key has been revoked.", "fields": {}}
    }


@pytest.mark.parametrize("header", ["Bearer eky_nothere_abc", "Bearer garbage", "Bearer eky_"])
def test_invalid_key_gets_401_in_the_error_shape(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get("/api/v1/organization/")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] in {"invalid_api_key"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_x_api_key_header_works_too(api_client, org_a):
    _key, raw = actions.create_api_key(org_a, "m", Role.VIEWER)
    response = api_client.get("/api/v1/organization/", HTTP_X_API_KEY=raw)
    assert response.status_code == 200


def test_other_organizations_keys_are_invisible_and_404(key_client_for, org_a, org_b):
    b_key, _ = actions.create_api_key(org_b, "b's key", Role.ADMIN)
    a_client = key_client_for(org_a, Role.ADMIN)
    listed = a_client.get("/api/v1/api-keys/").json()["results"]
    assert b_key.pk not in [k["id"] for k in listed]
    assert a_client.get(f"/api/v1/api-keys/{b_key.pk}/").status_code == 404
    assert a_client.post(f"/api/v1/api-keys/{b_key.pk}/revoke/").status_code == 404
    b_key.refresh_from_db()
    assert b_key.revoked_at is None


def test_session_user_sees_only_own_members(client_for, owner_a, owner_b):
    usernames = [m["username"] for m in client_for(owner_a).get("/api/v1/members/").json()["results"]]
    assert usernames == ["owner_a"]


def test_roles_limit_writes(key_client_for, org_a, client_for, viewer_a, developer_a):
    response = client_for(viewer_a).post("/api/v1/api-keys/", {"name": "x", "role": "viewer"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "admin" in response.json()["error"]["message"]
    # A developer cannot mint keys either (admin and up), and an admin cannot mint an owner key.
    assert client_for(developer_a).post("/api/v1/api-keys/", {"name": "x", "role": "viewer"}).status_code == 403
    admin_client = key_client_for(org_a, Role.ADMIN)
    response = admin_client.post("/api/v1/api-keys/", {"name": "x", "role": "owner"})
    assert response.status_code == 400
    assert "role" in response.json()["error"]["fields"]


def test_user_without_organization_is_refused(client_for, django_user_model):
    loner = django_user_model.objects.create_user("loner", password="x")
    assert client_for(loner).get("/api/v1/api-keys/").status_code == 403


def test_anonymous_gets_401_error_shape(api_client):
    response = api_client.get("/api/v1/api-keys/")
    assert response.status_code in (401, 403)
    assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_cursor_pagination(client_for, admin_a, org_a):
    for i in range(7):
        actions.create_api_key(org_a, f"k{i}")
    client = client_for(admin_a)
    first = client.get("/api/v1/api-keys/?page_size=5").json()
    assert len(first["results"]) == 5 and first["next"] and "cursor=" in first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2
    assert not {k["id"] for k in first["results"]} & {k["id"] for k in second["results"]}


def test_switching_to_a_foreign_organization_is_404(client, owner_a, org_b):
    client.force_login(owner_a)
    assert client.post("/org/switch/", {"organization": org_b.pk}).status_code == 404


@pytest.fixture
def one_window(monkeypatch):
    """The throttle's clock held in the middle of a minute: its windows are fixed minutes, so a run
    that crossed a minute's end would rightly start counting again (CI once saw 47 of 40 allowed)."""
    import time

    from ekyam.api.throttling import PerKeyRateThrottle

    middle = (time.time() // 60) * 60 + 30
    monkeypatch.setattr(PerKeyRateThrottle, "timer", staticmethod(lambda: middle))


def test_rate_limit_per_key(key_client_for, org_a, settings, one_window):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min", "user": "100/min"},
    }
    from rest_framework.settings import api_settings

    api_settings.reload()
    try:
        client = key_client_for(org_a)
        codes = [client.get("/api/v1/organization/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        body = client.get("/api/v1/organization/").json()
        assert body["error"]["code"] == "throttled"
        # Another key has its own budget.
        assert key_client_for(org_a).get("/api/v1/organization/").status_code == 200
    finally:
        cache.clear()


@pytest.mark.django_db(transaction=True)
def test_rate_limit_holds_under_concurrent_clients(org_a, settings, one_window):
    """32 clients at once against a limit of 40 per minute: exactly 40 get through (atomic counting)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.core.cache import cache
    from django.db import connections
    from rest_framework.settings import api_settings
    from rest_framework.test import APIClient

    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "40/min", "user": "1000/min"},
    }
    api_settings.reload()
    _key, raw = actions.create_api_key(org_a, "busy", Role.DEVELOPER)

    def burst(_):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        try:
            return [client.get("/api/v1/organization/").status_code for _ in range(5)]
        finally:
            connections.close_all()

    try:
        with ThreadPoolExecutor(max_workers=32) as pool:
            codes = [code for codes in pool.map(burst, range(32)) for code in codes]
        print(f"\nrate limit: {len(codes)} requests from 32 concurrent clients, {codes.count(200)} allowed (limit 40)")
        assert codes.count(200) == 40 and codes.count(429) == len(codes) - 40
    finally:
        cache.clear()
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
        api_settings.reload()
