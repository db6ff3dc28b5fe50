"""The living demo world: sandbox activity (deterministic from the seed) that a sync reads and whose
webhooks the portal accepts, and sandbox data kept in a state file across a restart."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import requests

from bench.common import wait_for
from connectors import processes, sandboxes
from connectors.models import InboundWebhook
from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from connectors.sandbox_life import SandboxLife, write_atomically
from connectors.whiplash.sandbox import CLIENT_ID, CLIENT_SECRET
from ekyam.embedded import free_port
from tests.workflows.test_seed_flows import connect, execute, shipment_sync_over_sandboxes
from workflows.models import RunStatus

ROOT = Path(__file__).resolve().parents[2]


def _summaries(app, rounds: int) -> list[dict]:
    return [{k: v for k, v in app.run_activity().items() if k != "webhooks"} for _ in range(rounds)]


@pytest.mark.parametrize("slug", ["netsuite", "whiplash", "shopify"])
def test_activity_is_deterministic_from_the_seed(slug):
    connector = get_connector(slug)
    first, again, other = (connector.sandbox_app(seed=seed) for seed in (42, 42, 7))
    assert _summaries(first, 6) == _summaries(again, 6)
    assert _summaries(first, 6) != _summaries(other, 6)  # rounds 7–12 of seed 42 vs 1–6 of seed 7
    assert first.ticks == 12


@pytest.mark.django_db
def test_activity_on_a_fast_cadence_brings_fulfillments_that_the_shipment_sync_writes(org_a):
    with shipment_sync_over_sandboxes(org_a, records=8, rate_limit=0) as (workflow, ns, wl):
        first = execute(workflow)
        assert first.status in (RunStatus.SUCCEEDED, RunStatus.PARTIAL), first.error_summary
        orders_before = len(wl.app.orders)

        life = SandboxLife(ns.app, activity_seconds=0.05).start()
        try:
            wait_for(lambda: ns.app.ticks >= 3, what="three rounds of NetSuite activity")
        finally:
            life.stop()
        created = ns.app.data.next_id["itemFulfillment"] - (9000 + 8)
        assert created >= 3

        second = execute(workflow)
        assert second.status == RunStatus.SUCCEEDED, second.error_summary
        assert (second.read_count, second.written_count) == (created, created)
        new_ids = {str(9008 + n) for n in range(created)}
        originators = {o["originator"]["original_id"] for o in wl.app.orders.values()}
        assert len(wl.app.orders) == orders_before + created
        new_orders = [o for o in wl.app.orders.values() if o["id"] > max(wl.app.orders) - created]
        assert all(o["shipping_address_1"] and o["order_items"] for o in new_orders)
        assert len(originators) == len(wl.app.orders) and new_ids


class _Receiver:
    """A webhook receiver on loopback that keeps what arrived (headers and raw body)."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.django_db
def _whiplash_token(base_url: str) -> str:
    """An access token from the Whiplash sandbox (client credentials, the sandbox's public keys)."""
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    return requests.post(f"{base_url}/oauth/token", data=data, timeout=5).json()["access_token"]


def test_whiplash_activity_ships_orders_and_sends_webhooks_the_portal_accepts(org_a, client):
    receiver = _Receiver()
    try:
        with SandboxServer(get_connector("whiplash").sandbox_app(rate_limit=0)) as wl:
            connection = connect(org_a, "whiplash", wl)
            assert requests.post(f"{wl.url}/_sandbox/subscriptions", json={"url": receiver.url}, timeout=5).ok
            token = _whiplash_token(wl.url)
            order = requests.post(
                f"{wl.url}/api/v2/orders",
                json={
                    "shipping_address_1": "1 Main St",
                    "originator_attributes": {"original_id": "9001"},
                    "order_items_attributes": [{"sku": "TSHIRT-BLA-S", "quantity": 1}],
                },  # fmt: skip
                headers={"Authorization": f"Bearer {token}"},
                timeout=5,
            ).json()
            rounds = requests.post(f"{wl.url}/_sandbox/activity", json={"ticks": 1}, timeout=20).json()["rounds"]
            shipped = wl.app.orders[order["id"]]
            assert rounds[0]["shipped"] == [{"order_id": order["id"], "tracking": shipped["tracking"][0]}]
            assert shipped["status"] == 300 and shipped["tracking"][0].startswith("1Z")
    finally:
        receiver.close()
    events = [json.loads(body)["event_name"] for _, body in receiver.received]
    assert "item.inventory_changed" in events and events[-1] == "order.shipped"
    for headers, body in receiver.received:  # the signed bodies pass the portal's own verification
        response = client.post(
            f"/hooks/whiplash/{connection.webhook_token}/",
            data=body,
            content_type="application/json",
            HTTP_X_WHIPLASH_SIGNATURE=headers["X-WHIPLASH-SIGNATURE"],
        )
        assert response.status_code < 300, response.content
    assert InboundWebhook.objects.filter(connection=connection).count() == len(receiver.received)


def test_the_state_file_is_replaced_whole(tmp_path):
    path = tmp_path / "sandbox" / "whiplash.json"
    write_atomically(path, {"vendor": "whiplash", "n": 1})
    with pytest.raises(TypeError):
        write_atomically(path, {"vendor": "whiplash", "n": object()})  # fails mid-write
    assert json.loads(path.read_text()) == {"vendor": "whiplash", "n": 1}
    assert [p.name for p in path.parent.iterdir()] == ["whiplash.json"]  # no temporary file left


def _sandbox(vendor: str, port: int, state_file: Path, activity: str) -> subprocess.Popen:
    argv = [sys.executable, "manage.py", "sandbox", vendor, "--port", str(port)]
    argv += ["--state-file", str(state_file), "--activity-seconds", activity]
    return subprocess.Popen(argv, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _get(url: str):
    try:
        return requests.get(url, timeout=2).json()
    except requests.RequestException:
        return None


def test_sandbox_data_survives_a_restart(tmp_path):
    state_file, port = tmp_path / "whiplash.json", free_port()
    url = f"http://127.0.0.1:{port}"
    process = _sandbox("whiplash", port, state_file, "0.1")
    try:
        wait_for(lambda: (_get(f"{url}/_sandbox/activity") or {}).get("ticks", 0) >= 3, what="three rounds")
        requests.post(f"{url}/_sandbox/subscriptions", json={"url": "http://127.0.0.1:9/hooks/x/"}, timeout=5)
        process.send_signal(signal.SIGTERM)  # how `standalone` stops its children
        assert process.wait(timeout=30) == 0, process.stdout.read().decode()
    finally:
        if process.poll() is None:
            process.kill()
    saved = json.loads(state_file.read_text())
    assert saved["vendor"] == "whiplash" and saved["ticks"] >= 3
    quantities = {i["sku"]: i["warehouse_quantities"] for i in saved["data"]["items"]}

    process = _sandbox("whiplash", port, state_file, "0")
    try:
        wait_for(lambda: _get(f"{url}/_sandbox/activity") is not None, what="the restarted sandbox")
        status = _get(f"{url}/_sandbox/activity")
        assert status["ticks"] == saved["ticks"] and status["seconds"] == 0
        assert status["subscriptions"] == ["http://127.0.0.1:9/hooks/x/"]
        token = _whiplash_token(url)
        items = requests.get(
            f"{url}/api/v2/items", params={"per_page": 500}, headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).json()
        restarted = {i["sku"]: i["quantity"] for i in items}
        assert restarted == {sku: sum(q.values()) for sku, q in quantities.items()}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_standalone_starts_living_sandboxes_with_state_files(monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(sandboxes, "SANDBOX_ACTIVITY", True)
    monkeypatch.setattr(sandboxes, "SANDBOX_ACTIVITY_SECONDS", 30.0)
    specs = {s.name: s.argv for s in processes.standalone_processes({})}
    argv = specs["sandbox-netsuite"]
    assert argv[argv.index("--activity-seconds") + 1] == "30"
    assert argv[argv.index("--state-file") + 1] == str(tmp_path / "sandbox" / "netsuite.json")

    monkeypatch.setattr(sandboxes, "SANDBOX_ACTIVITY", False)  # EKYAM_SANDBOX_ACTIVITY=off
    argv = {s.name: s.argv for s in processes.standalone_processes({})}["sandbox-whiplash"]
    assert argv[argv.index("--activity-seconds") + 1] == "0"
