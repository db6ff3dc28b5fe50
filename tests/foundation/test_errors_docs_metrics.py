import pytest

pytestmark = pytest.mark.django_db


def test_unknown_api_route_is_404_in_error_shape(client):
    response = client.get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}


def test_method_not_allowed_shape(key_client_for, org_a):
    response = key_client_for(org_a).delete("/api/v1/organization/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_validation_error_shape_names_fields(client_for, admin_a):
    response = client_for(admin_a).post("/api/v1/api-keys/", {"role": "wizard"})
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"name", "role"}
    assert response.json()["error"]["code"] == "invalid"


def test_openapi_schema_and_offline_docs(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    body = schema.json()
    assert body["openapi"].startswith("3.")
    assert "/api/v1/api-keys/" in body["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Swagger UI assets come from our own static files, not a CDN.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()


def test_metrics_endpoint(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"ekyam_http_requests_total" in response.content


def test_login_page_and_redirect(client):
    assert client.get("/").status_code == 302
    page = client.get("/login/")
    assert page.status_code == 200
    assert b'<label for="id_username">' in page.content


def test_home_after_login_shows_organization(client, owner_a):
    client.force_login(owner_a)
    page = client.get("/")
    assert page.status_code == 200
    assert b"Acme Apparel" in page.content
