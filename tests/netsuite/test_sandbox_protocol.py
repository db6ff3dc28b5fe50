"""The sandbox speaks NetSuite's contract over real HTTP: auth failures, shapes, SuiteQL, governance."""

import threading
import time
from urllib.parse import quote

import requests

from connectors.netsuite import tba
from connectors.netsuite.sandbox import app as ns

ITEMS = "/services/rest/record/v1/inventoryItem"
FULFILLMENTS = "/services/rest/record/v1/itemFulfillment"


SANDBOX_KEYS = {
    "realm": ns.ACCOUNT_ID,
    "consumer_key": ns.CONSUMER_KEY,
    "consumer_secret": ns.CONSUMER_SECRET,
    "token_id": ns.TOKEN_ID,
    "token_secret": ns.TOKEN_SECRET,
}
SIGNATURE_FIELDS = {*SANDBOX_KEYS, "timestamp", "nonce"}


def _header(method, url, **overrides) -> str:
    """A TBA header signed with the sandbox's keys (any of them, the timestamp or the nonce replaced by
    `overrides`)."""
    return tba.authorization_header(method, url, **{**SANDBOX_KEYS, **overrides})


def signed(method, url, **kw):
    """A request signed by `_header`: keyword arguments naming a signature field go to it, the rest to
    `requests.request`."""
    overrides = {name: kw.pop(name) for name in SIGNATURE_FIELDS & set(kw)}
    headers = {"Authorization": _header(method, url, **overrides), **kw.pop("headers", {})}
    return requests.request(method, url, headers=headers, timeout=10, **kw)


def assert_invalid_login(response, problem):
    assert response.status_code == 401
    body = response.json()
    assert body["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
    assert body["title"] == "Unauthorized" and body["status"] == 401
    header = response.headers["WWW-Authenticate"]
    assert header.startswith('OAuth realm="1234567_SB1"') and f'error="{problem}"' in header


def test_authentication_failures_carry_netsuites_error_bodies(netsuite):
    url = f"{netsuite.url}{ITEMS}?limit=1"
    assert signed("GET", url).status_code == 200
    assert_invalid_login(signed("GET", url, token_secret="wrong"), "signature_invalid")
    assert_invalid_login(signed("GET", url, realm="7654321"), "account_mismatch")
    assert_invalid_login(signed("GET", url, realm="1234567_sb1"), "account_mismatch")  # realm must be upper case
    assert_invalid_login(signed("GET", url, consumer_key="nobody"), "consumer_key_unknown")
    assert_invalid_login(signed("GET", url, timestamp=int(time.time()) - 3600), "timestamp_refused")
    assert signed("GET", url, nonce="sameNonce123").status_code == 200
    assert_invalid_login(signed("GET", url, nonce="sameNonce123"), "nonce_used")
    netsuite.token("revoked-token", token_secret="s", revoked=True)
    assert_invalid_login(signed("GET", url, token_id="revoked-token", token_secret="s"), "token_revoked")
    assert_invalid_login(requests.get(url, timeout=5), "token_rejected")


def test_hmac_sha1_is_rejected(netsuite):
    url = f"{netsuite.url}{ITEMS}"
    header = _header("GET", url).replace("HMAC-SHA256", "HMAC-SHA1")
    assert_invalid_login(requests.get(url, headers={"Authorization": header}, timeout=5), "signature_method_rejected")


def test_collection_shape_paging_and_q_filter(netsuite):
    page = signed("GET", f"{netsuite.url}{ITEMS}?limit=25&offset=25").json()
    assert set(page) == {"links", "count", "hasMore", "items", "offset", "totalResults"}
    assert page["count"] == 25 and page["hasMore"] is True and page["offset"] == 25 and page["totalResults"] == 60
    rels = {link["rel"]: link["href"] for link in page["links"]}
    assert "/record/v1/inventoryitem?limit=25&offset=50" in rels["next"] and "self" in rels
    assert page["items"][0]["links"][0]["href"].endswith(f"/inventoryitem/{page['items'][0]['id']}")
    assert isinstance(page["items"][0]["id"], str)
    last = signed("GET", f"{netsuite.url}{ITEMS}?limit=25&offset=50").json()
    assert last["hasMore"] is False and last["count"] == 10 and "next" not in {link["rel"] for link in last["links"]}

    netsuite.change("itemFulfillment", "9003", memo="changed")
    today = time.gmtime()
    q = f'lastModifiedDate ON_OR_AFTER "{today.tm_mon}/{today.tm_mday}/{today.tm_year} 00:00"'
    recent = signed("GET", f"{netsuite.url}{FULFILLMENTS}?q={quote(q, safe='')}").json()
    assert [item["id"] for item in recent["items"]] == ["9003"]
    unsupported = quote('memo IS "x"', safe="")
    bad = signed("GET", f"{netsuite.url}{FULFILLMENTS}?q={unsupported}")
    assert bad.status_code == 400 and bad.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"


def test_records_expand_sub_resources_only_when_asked(netsuite):
    plain = signed("GET", f"{netsuite.url}{FULFILLMENTS}/9001").json()
    assert set(plain["item"]) == {"links"} and plain["item"]["links"][0]["href"].endswith("/itemfulfillment/9001/item")
    full = signed("GET", f"{netsuite.url}{FULFILLMENTS}/9001?expandSubResources=true").json()
    assert full["item"]["items"][0]["itemName"] and full["item"]["totalResults"] >= 1
    assert full["shippingAddress"]["country"]["id"] == "US"
    assert full["lastModifiedDate"].endswith("Z") and full["id"] == "9001"
    sublist = signed("GET", f"{netsuite.url}{FULFILLMENTS}/9001/item").json()
    assert sublist["items"] == full["item"]["items"]
    missing = signed("GET", f"{netsuite.url}{FULFILLMENTS}/1")
    assert missing.status_code == 404 and missing.json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_ID"


def test_suiteql_needs_prefer_transient_and_returns_lowercase_strings(netsuite):
    url = f"{netsuite.url}/services/rest/query/v1/suiteql?limit=5&offset=0"
    query = {"q": "SELECT id, itemid, lastmodifieddate FROM item WHERE itemtype = 'InvtPart' ORDER BY id"}
    refused = signed("POST", url, json=query)
    assert refused.status_code == 400 and refused.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"
    page = signed("POST", url, json=query, headers={"Prefer": "transient"}).json()
    assert page["count"] == 5 and page["hasMore"] is True and page["totalResults"] == 60
    row = page["items"][0]
    assert row["links"] == [] and row["id"] == "1000" and isinstance(row["lastmodifieddate"], str)
    assert row["lastmodifieddate"].count("/") == 2  # the user's date format, M/D/YYYY


def test_429_when_more_requests_are_in_flight_than_the_limit(netsuite):
    netsuite.knobs(concurrency_limit=2, latency_ms=150)
    statuses = []

    def call():
        statuses.append(signed("GET", f"{netsuite.url}{ITEMS}?limit=1").status_code)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) >= 2 and 429 in statuses
    assert netsuite.state()["rejected_429"] == statuses.count(429)


def test_concurrency_error_body_is_netsuites(netsuite):
    netsuite.knobs(fail_next=[429])
    response = signed("GET", f"{netsuite.url}{ITEMS}")
    assert response.status_code == 429 and "Retry-After" not in response.headers
    assert response.json()["o:errorDetails"][0] == {
        "detail": "Concurrent request limit exceeded. Request blocked.",
        "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
    }


def test_seeded_data_is_deterministic_and_realistic():
    first, second = ns.NetSuiteSandbox(seed=7, records=20), ns.NetSuiteSandbox(seed=7, records=20)
    assert first.data.get("itemFulfillment", "9005") == second.data.get("itemFulfillment", "9005")
    assert first.data.get("itemFulfillment", "9005") != ns.NetSuiteSandbox(seed=8, records=20).data.get(
        "itemFulfillment", "9005"
    )
    item = first.data.get("inventoryItem", "1003")
    assert item["itemId"] and len(item["upcCode"]) == 12 and item["price"]["items"][0]["priceLevelName"] == "Base Price"
    big = ns.NetSuiteSandbox(seed=7, records=5000)
    assert len(big.data.ids("itemFulfillment")) == 5000 and big.data.get("itemFulfillment", "13999")["tranId"]
