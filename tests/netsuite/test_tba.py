"""TBA signatures: the vendor notes' worked example, and an independent implementation (oauthlib)."""

import json
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from oauthlib import oauth1

from connectors.netsuite import tba
from connectors.netsuite.client import host_for_account, realm_for_account

# A copy of /work/shared/reference/payloads/netsuite_tba_signature_example.json (the vendor notes).
VECTOR = json.loads((Path(__file__).parent / "payloads" / "netsuite_tba_signature_example.json").read_text())[
    "test_vector"
]


def test_matches_the_worked_example_exactly():
    v = VECTOR
    header = tba.authorization_header(
        v["method"],
        v["url"],
        realm="123456_SB1",
        consumer_key=v["consumer_key"],
        consumer_secret=v["consumer_secret"],
        token_id=v["token_id"],
        token_secret=v["token_secret"],
        timestamp=v["timestamp"],
        nonce=v["nonce"],
    )
    oauth = tba.parse_authorization(header)
    assert tba.base_string(v["method"], v["url"], oauth) == v["base_string"]
    assert oauth["oauth_signature"] == v["signature_base64"]
    assert header == v["authorization_header"]


def _oauthlib_signature(method, url, body=None, headers=None):
    client = oauth1.Client(
        "ck123",
        client_secret="cs456",
        resource_owner_key="tk789",
        resource_owner_secret="ts000",
        signature_method=oauth1.SIGNATURE_HMAC_SHA256,
        realm="123456_SB1",
        timestamp="1766160000",
        nonce="abcDEF123xyz",
    )
    _uri, signed_headers, _body = client.sign(url, http_method=method, body=body, headers=headers)
    params = tba.parse_authorization(signed_headers["Authorization"])
    return params["oauth_signature"], params


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "https://123456-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/inventoryItem?limit=5&offset=0"),
        (
            "GET",
            "https://123456-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/itemFulfillment?"
            + "q="
            + quote('lastModifiedDate ON_OR_AFTER "12/1/2025 08:30"', safe="")
            + "&limit=1000",
        ),
        (
            "GET",
            "https://123456-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/itemFulfillment/9001?expandSubResources=true",
        ),
        ("POST", "http://127.0.0.1:8101/services/rest/query/v1/suiteql?limit=1000&offset=2000"),
    ],
)
def test_agrees_with_oauthlib(method, url):
    expected, params = _oauthlib_signature(
        method,
        url,
        body='{"q": "SELECT id FROM item"}' if method == "POST" else None,
        headers={"Content-Type": "application/json"} if method == "POST" else None,
    )
    ours = tba.sign(tba.base_string(method, url, params), "cs456", "ts000")
    assert ours == expected


def test_header_values_are_percent_encoded_and_nonces_fresh():
    keys = {"realm": "1_SB1", "consumer_key": "c k", "consumer_secret": "s", "token_id": "t", "token_secret": "s"}
    first, second = (tba.authorization_header("GET", "https://a.example/x", **keys) for _ in range(2))
    signature = first.split('oauth_signature="')[1].rstrip('"')
    assert "+" not in signature and "/" not in signature and "=" not in signature
    assert 'oauth_consumer_key="c%20k"' in first
    assert tba.parse_authorization(first)["oauth_nonce"] != tba.parse_authorization(second)["oauth_nonce"]
    assert unquote(signature) == tba.parse_authorization(first)["oauth_signature"]


def test_account_id_to_host_and_realm():
    assert host_for_account("123456_SB1") == "123456-sb1.suitetalk.api.netsuite.com"
    assert host_for_account("123456") == "123456.suitetalk.api.netsuite.com"
    assert realm_for_account("123456-sb1") == "123456_SB1"
    assert tba.base_uri("HTTPS://Host.Example:443/services/Rest?x=1") == "https://host.example/services/Rest"
    assert tba.base_uri("http://127.0.0.1:8101/a") == "http://127.0.0.1:8101/a"
