"""Transport failures of a vendor call, as connector errors: the one mapping the vendor clients share.

A timeout and an unreachable host are both `TransientError`s (the run may retry later) with the codes
`timeout` and `unreachable`; the vendor's answer itself (a 4xx or 5xx) is for each client to judge.
"""

from __future__ import annotations

from contextlib import contextmanager

from connectors.base import TransientError
from ekyam.http import RequestException, Timeout


@contextmanager
def transport_errors(vendor: str, call: str, base_url: str):
    """Turn the HTTP client's Timeout / RequestException raised inside the block into TransientErrors
    naming the vendor, the call (e.g. `GET /api/v2/items`) and where it was sent."""
    try:
        yield
    except Timeout:
        raise TransientError(f"{vendor} did not answer {call} in time.", code="timeout") from None
    except RequestException as exc:
        raise TransientError(
            f"Cannot reach {vendor} at {base_url} ({type(exc).__name__}).", code="unreachable"
        ) from None
