"""`{% wizard_steps n %}`: the setup wizard's step bar, for pages of other apps shown inside the wizard
(the mapping pages of step 3), which cannot derive the steps themselves (they know no workflows)."""

from __future__ import annotations

from django import template

from workflows.wizard import progress

register = template.Library()


@register.inclusion_tag("wizard/_steps.html", takes_context=True)
def wizard_steps(context, number=None):
    steps = context.get("steps")
    if steps is None:
        steps = progress.steps_for_page(number, context["request"].organization)
    return {"steps": steps}
