"""The benchmark's receiver: `python -m bench.receiver PORT` (aiohttp, no Django).
POST /hook/<phase> records (webhook-id, arrival time); GET /stats reports them, counting each
webhook-id once (a redelivered message must not pass for another delivery)."""

from __future__ import annotations

import sys
import time


def main(port: int) -> None:
    from aiohttp import web

    # Phase → {webhook-id: first arrival time}.
    received: dict[str, dict] = {"pipeline": {}, "bare": {}, "client": {}}

    async def hook(request):
        await request.read()
        received[request.match_info["phase"]].setdefault(request.headers.get("webhook-id"), time.time())
        return web.Response(text="ok")

    async def stats(request):
        full = request.query.get("full")
        return web.json_response(
            {"counts": {k: len(v) for k, v in received.items()}, "pipeline": received["pipeline"] if full else {}}
        )

    app = web.Application()
    app.router.add_post("/hook/{phase}", hook)
    app.router.add_get("/stats", stats)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
