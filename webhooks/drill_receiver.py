"""The fault drills' receiver: `python -m webhooks.drill_receiver PORT` (aiohttp, no Django).

An independent receiver: every request is verified with the `standardwebhooks` package against the
endpoint's secret. Each endpoint (`/hook/<name>`) behaves as configured with `POST /configure/<name>`
{"secret", "fail_first": n (fail a message's first n attempts with "fail_status", default 500), "status": code (answer every
attempt with it), "retry_after": s (sent with failures), "delay": s (answer after s seconds)}.
`GET /stats/<name>` reports requests, verified signatures, 2xx answers per webhook-id and the arrival
times of each message's attempts.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import defaultdict


def main(port: int) -> None:
    from aiohttp import web
    from standardwebhooks import Webhook, WebhookVerificationError

    config: dict[str, dict] = defaultdict(dict)
    records: dict[str, dict] = defaultdict(
        lambda: {"requests": 0, "verified": 0, "ok": defaultdict(list), "attempts": defaultdict(list)}
    )

    async def configure(request):
        config[request.match_info["name"]].update(await request.json())
        return web.json_response({"ok": True})

    async def hook(request):
        name = request.match_info["name"]
        body = await request.read()
        cfg, record = config[name], records[name]
        record["requests"] += 1
        webhook_id = request.headers.get("webhook-id", "")
        now = time.time()
        record["attempts"][webhook_id].append(now)
        if cfg.get("secret"):
            try:
                Webhook(cfg["secret"]).verify(body, dict(request.headers))
                record["verified"] += 1
            except WebhookVerificationError:
                pass
        if cfg.get("delay"):
            await asyncio.sleep(cfg["delay"])
            return web.Response(status=200, text="late")  # after the sender's timeout: not a delivery
        headers = {"Retry-After": str(cfg["retry_after"])} if cfg.get("retry_after") else {}
        if cfg.get("status"):
            return web.Response(status=cfg["status"], headers=headers, text="configured")
        if len(record["attempts"][webhook_id]) <= cfg.get("fail_first", 0):
            return web.Response(status=cfg.get("fail_status", 500), headers=headers, text="failing on purpose")
        record["ok"][webhook_id].append(now)
        return web.Response(text="ok")

    async def stats(request):
        record = records[request.match_info["name"]]
        return web.json_response(
            {
                "requests": record["requests"],
                "verified": record["verified"],
                "ok": record["ok"],
                "attempts": record["attempts"] if request.query.get("attempts") else {},
            }
        )

    app = web.Application()
    app.router.add_post("/configure/{name}", configure)
    app.router.add_post("/hook/{name}", hook)
    app.router.add_get("/stats/{name}", stats)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
