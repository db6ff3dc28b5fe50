"""Portal links carried by alerts. Built without resolving the whole URLconf, so the consumer
process does not import every app's views to write one alert (paths match webhooks/urls.py)."""

PORTAL = "/developers/webhooks"


def endpoint(pk: int) -> str:
    return f"{PORTAL}/endpoints/{pk}/"


def dead_letter(pk: int) -> str:
    return f"{PORTAL}/dlq/{pk}/"


def dead_letters_of(endpoint_pk: int) -> str:
    return f"{PORTAL}/dlq/?endpoint={endpoint_pk}"
