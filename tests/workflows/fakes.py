"""A tiny fake vendor ("fakeshop") with a sandbox over real HTTP, and fake mappings, to test the engine
without depending on the real vendors. Importing this module registers the connector."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from connectors.base import (
    Connector,
    Page,
    StreamSpec,
    TransientError,
    ValidationError,
    WriteResult,
)
from connectors.registry import register
from connectors.sandbox import Response, SandboxApp
from connectors.standards import validate
from workflows import mappings


class FakeShopApp(SandboxApp):
    name = "fakeshop"

    def __init__(self, seed: int = 42, records: int = 0):
        super().__init__(seed)
        self.initial = records
        self.reset()
        self.route("GET", "/items", self._list)
        self.route("POST", "/items", self._write)

    def reset(self) -> None:
        self.items = [{"id": str(i), "sku": f"SKU-{i:05d}", "qty": i % 50} for i in range(1, self.initial + 1)]
        self.written: dict[str, dict] = {}
        self.creates: dict[str, int] = {}
        self.write_requests = 0

    def state(self) -> dict:
        return {"requests": self.request_count, "written": self.written, "creates": self.creates}

    def _list(self, request):
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if ids:
            rows = [r for r in self.items if r["id"] in ids]
            return Response.json({"items": rows, "next": None})
        offset, size = int(request.query.get("offset", 0)), int(request.query.get("size", 10))
        rows = self.items[offset : offset + size]
        nxt = offset + len(rows)
        return Response.json({"items": rows, "next": nxt, "done": nxt >= len(self.items)})

    def _write(self, request):
        results = []
        with self.lock:
            self.write_requests += 1
            for entry in request.json():
                key, payload = entry["key"], entry["payload"]
                if payload.get("quantity", 0) > 10_000:
                    results.append({"ok": False, "error": "quantity too large"})
                    continue
                action = "created" if key not in self.written else "updated"
                if key not in self.written:
                    self.creates[key] = self.creates.get(key, 0) + 1
                self.written[key] = payload
                results.append({"ok": True, "id": "D" + key.rsplit(":", 1)[-1], "action": action})
        return Response.json(results)


@register
class FakeShopConnector(Connector):
    slug = "fakeshop"
    name = "FakeShop"
    streams = (
        StreamSpec("items", "Items", "inventory_level", "read", incremental=True),
        StreamSpec("items", "Items", "inventory_level", "write"),
    )

    @classmethod
    def sandbox_app(cls, **options):
        return FakeShopApp(**options)

    @classmethod
    def sandbox_credentials(cls, sandbox_url: str) -> dict[str, str]:
        return {"base_url": sandbox_url}

    def _call(self, method, path, **kw):
        response = self._http.request(method, self.credentials["base_url"] + path, **kw)
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(f"FakeShop answered {response.status_code}", status=response.status_code)
        if response.status_code >= 400:
            raise ValidationError(f"FakeShop answered {response.status_code}", status=response.status_code)
        return response.json()

    def read(self, stream, *, cursor=None, page_size=None, ids=None):
        if ids:
            body = self._call("GET", "/items", params={"ids": ",".join(ids)})
            yield Page(body["items"], cursor=None, done=True)
            return
        offset = int(json.loads(cursor)["offset"]) if cursor else 0
        while True:
            body = self._call("GET", "/items", params={"offset": offset, "size": page_size or 10})
            offset = body["next"]
            yield Page(body["items"], cursor=json.dumps({"offset": offset}), done=body["done"])
            if body["done"]:
                return

    def write(self, stream, records, *, context=None):
        keys = (context or {})["keys"]
        body = self._call("POST", "/items", json=[{"key": k, "payload": r} for k, r in zip(keys, records, strict=True)])
        out = []
        for key, result in zip(keys, body, strict=True):
            if result["ok"]:
                out.append(WriteResult(ok=True, key=key, destination_id=result["id"], action=result["action"]))
            else:
                out.append(WriteResult(ok=False, key=key, error=ValidationError(result["error"])))
        return out


# --- fake mappings ------------------------------------------------------------------------------------------


@dataclass
class FakeError:
    rule: str
    source_path: str | None
    value: object
    message: str


@dataclass
class FakeResult:
    output: dict | None
    errors: list = field(default_factory=list)


class ReadItems:
    def apply(self, record):
        try:
            qty = int(record["qty"])
        except (KeyError, TypeError, ValueError):
            return FakeResult(None, [FakeError("available", "qty", record.get("qty"), "not an integer")])
        out = {"sku": record["sku"], "available": qty, "location": {"id": "main", "name": "Main"}}
        violations = validate("inventory_level", out)  # as a compiled read mapping checks its standard
        if violations:
            return FakeResult(None, [FakeError(v.path, v.path, out.get(v.path), v.message) for v in violations])
        return FakeResult(out)


class WriteItems:
    def apply(self, record):
        return FakeResult({"sku": record["sku"], "quantity": record["available"]})


READ_MAPPING_ID, WRITE_MAPPING_ID = 9001, 9002
FAKES = {
    READ_MAPPING_ID: mappings.PinnedMapping(READ_MAPPING_ID, 90011, 1, "FakeShop read", "read", "inventory_level",
                                            [{"target": "sku", "source": "sku"}], True, ReadItems()),
    WRITE_MAPPING_ID: mappings.PinnedMapping(WRITE_MAPPING_ID, 90021, 1, "FakeShop write", "write", "inventory_level",
                                             [{"target": "sku", "source": "sku"}], True, WriteItems()),
}  # fmt: skip
BY_VERSION = {p.version_id: p for p in FAKES.values()}


def install_fake_mappings(monkeypatch=None) -> None:
    """Make `workflows.mappings` resolve the fake ids (and everything else as usual)."""
    real_current, real_pinned, real_belongs = mappings.current, mappings.pinned, mappings.belongs_to
    if getattr(real_current, "fake", False):
        return

    def belongs_to(mapping_id, organization):
        return mapping_id in FAKES or real_belongs(mapping_id, organization)

    def current(mapping_id):
        return FAKES.get(mapping_id) or real_current(mapping_id)

    def pinned(version_id):
        return BY_VERSION.get(version_id) or real_pinned(version_id)

    current.fake = pinned.fake = True
    if monkeypatch is not None:
        monkeypatch.setattr(mappings, "current", current)
        monkeypatch.setattr(mappings, "pinned", pinned)
        monkeypatch.setattr(mappings, "belongs_to", belongs_to)
    else:
        mappings.current, mappings.pinned, mappings.belongs_to = current, pinned, belongs_to
