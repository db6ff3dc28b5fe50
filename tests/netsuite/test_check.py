"""`check` over real HTTP: success, and each failure named with an actionable reason."""

import socket
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.netsuite.sandbox import app as ns


def test_success(connect):
    result = connect().check()
    assert result.ok and result.reason == "ok" and "1234567_SB1" in result.message


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"account_id": "7654321"}, "wrong_account"),
        ({"consumer_key": "not-a-key"}, "invalid_consumer_key"),
        ({"token_secret": "wrong-secret"}, "invalid_credentials"),
        ({"token_id": "unknown-token"}, "invalid_credentials"),
    ],
)
def test_failure_reasons(connect, overrides, reason):
    result = connect(**overrides).check()
    assert not result.ok and result.reason == reason, result
    assert result.details["vendor_code"] == "INVALID_LOGIN"


def test_revoked_token(connect, netsuite):
    netsuite.token("old-token", token_secret="old-secret", revoked=True)
    result = connect(token_id="old-token", token_secret="old-secret").check()
    assert result.reason == "revoked_token" and "Access Tokens" in result.message


def test_clock_skew(connect):
    connector = connect()
    connector.client.clock = lambda: time.time() - 1800  # this server's clock is half an hour behind
    result = connector.check()
    assert result.reason == "clock_skew" and "clock" in result.message


def test_unreachable_host(connect):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    result = connect(base_url=f"http://127.0.0.1:{closed_port}").check()
    assert result.reason == "unreachable" and "127.0.0.1" in result.message


def test_missing_permission_names_it(connect, netsuite):
    netsuite.token("limited", token_secret="limited-secret", permissions=["inventoryItem", "suiteql"])
    result = connect(token_id="limited", token_secret="limited-secret").check()
    assert result.reason == "missing_permission" and "Item fulfillments" in result.message
    assert result.details["vendor_code"] == "INSUFFICIENT_PERMISSION"


def test_oauth2_client_credentials_with_a_ps256_assertion(connect, netsuite):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    netsuite.app.certificates["cert-1"] = {"client_id": "client-1", "public_key": public_pem}
    connector = connect(
        auth_method="oauth2",
        client_id="client-1",
        certificate_id="cert-1",
        private_key=private_pem,
        **dict.fromkeys(("consumer_key", "consumer_secret", "token_id", "token_secret"), ""),  # no TBA keys
    )
    assert connector.check().ok
    assert connector.updates and connector.updates[0]["access_token"]  # persisted for other workers to reuse
    wrong = connect(auth_method="oauth2", client_id="someone-else", certificate_id="cert-1", private_key=private_pem)
    assert wrong.check().reason == "invalid_credentials"


def test_sandbox_credentials_are_self_consistent():
    from connectors.netsuite.connector import NetSuiteConnector

    credentials = NetSuiteConnector.sandbox_credentials("http://127.0.0.1:9")
    assert credentials["account_id"] == ns.ACCOUNT_ID and NetSuiteConnector.validate_credentials(credentials) == {}
    assert NetSuiteConnector.validate_credentials({"account_id": "1", "auth_method": "tba"}).keys() == {
        "consumer_key",
        "consumer_secret",
        "token_id",
        "token_secret",
    }


def test_a_redirected_probe_is_a_failed_check_with_its_reason(connect, netsuite):
    # An SSO login page (or a proxy) in front of the account: every call answers 302 with an empty body.
    netsuite.knobs(redirect_to="https://system.netsuite.com/pages/customerlogin.jsp")
    result = connect().check()
    assert not result.ok and result.reason == "unexpected_response", result
    assert "302" in result.message and "customerlogin.jsp" in result.message
    assert result.message.startswith("Inventory items")  # the first probe already failed
    assert result.details["status"] == 302
    netsuite.knobs(redirect_to="")
    assert connect().check().ok


def test_a_redirect_fails_a_read_too(connect, netsuite):
    from connectors.base import PermanentError

    netsuite.knobs(redirect_to="https://system.netsuite.com/pages/customerlogin.jsp")
    with pytest.raises(PermanentError, match="302"):
        next(iter(connect().read("products", page_size=5)))
