"""Showing a new secret once, across a redirect, without writing it into the session row.

The secret waits in the cache (for a minute at most) under a random one-time name; the session carries
only that name. Taking it deletes it, so a reload neither shows it again nor re-creates it, and a leaked
session table or backup holds no secret.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache

HANDOVER_SECONDS = 60


def hand_over(request, slot: str, secret: str) -> None:
    handle = secrets.token_urlsafe(18)
    cache.set(f"handover:{handle}", secret, HANDOVER_SECONDS)
    request.session[f"handover:{slot}"] = handle


def take(request, slot: str) -> str | None:
    handle = request.session.pop(f"handover:{slot}", None)
    if not handle:
        return None
    secret = cache.get(f"handover:{handle}")
    cache.delete(f"handover:{handle}")
    return secret
