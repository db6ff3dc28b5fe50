"""The portal's main navigation. Entries whose page is not installed are left out, so apps can
add pages without touching the base template."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

# (label, url name). Names are checked by tests/browser/test_portal_tour.py, so a renamed page
# shows up as a failing test rather than a silently missing entry.
MAIN_NAV = [
    ("Overview", "home"),
    ("Set up", "wizard-start"),
    ("Connections", "connection-list"),
    ("Mappings", "mappings-page"),
    ("Data Standards", "standards"),
    ("Workflows", "workflow-list"),
    ("Record errors", "record-error-list"),
    ("Developers", "webhooks:endpoint-list"),
    ("Alerts", "webhooks:alert-list"),
    ("Members", "settings-members"),
    ("API keys", "settings-api-keys"),
]


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"main_nav": []}
    entries = []
    for label, name in MAIN_NAV:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        current = request.path == url or (url != "/" and request.path.startswith(url))
        entries.append({"label": label, "url": url, "current": current})
    return {"main_nav": entries}
