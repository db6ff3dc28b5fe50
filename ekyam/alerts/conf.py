"""Settings of alerts, read from the environment (documented in .env.example)."""

from __future__ import annotations

from ekyam.env import env_int, overridable

get = overridable(
    {
        # At most one e-mail and one Slack post per organization per window; the rest wait for the digest.
        "ALERT_DIGEST_WINDOW_SECONDS": lambda: env_int("EKYAM_ALERT_DIGEST_WINDOW_SECONDS", 900, minimum=0),
    }
)
