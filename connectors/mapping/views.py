import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from connectors.standards import list_standards


@login_required
def standards_page(request):
    """Every standard with each field's description and example."""
    standards = list_standards()
    for standard in standards:
        for field in standard["fields"]:
            field["example_json"] = json.dumps(field["example"], ensure_ascii=False)
    return render(request, "mapping/standards.html", {"standards": standards})
