from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from ekyam.models import Role, role_at_least


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="What the key is for, e.g. “ERP bridge”.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.DEVELOPER)

    def __init__(self, *args, caller_role=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.caller_role = caller_role

    def clean_role(self):
        role = self.cleaned_data["role"]
        if not role_at_least(self.caller_role, role):
            raise forms.ValidationError(f"You cannot create a key with more rights than your own ({self.caller_role}).")
        return role


def grantable_roles(caller_role: str | None) -> list[tuple[str, str]]:
    """The roles the caller may give: owners any, admins any but owner (the owner rule)."""
    return [(value, label) for value, label in Role.choices if value != Role.OWNER or caller_role == Role.OWNER]


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address", help_text="We e-mail this address a link to join.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, *args, caller_role=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = grantable_roles(caller_role)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class OrganizationForm(forms.Form):
    organization_name = forms.CharField(
        label="Organization name", max_length=200, help_text="Your company or team, e.g. “Acme Apparel”."
    )

    def clean_organization_name(self):
        name = self.cleaned_data["organization_name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name for your organization.")
        return name


class SignupForm(UserCreationForm):
    """A person and their organization. E-mail addresses need not be unique, so the form never tells
    whether one already has an account."""

    email = forms.EmailField(label="E-mail address", help_text="For invitations and password resets.")
    organization_name = OrganizationForm.base_fields["organization_name"]

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]

    clean_organization_name = OrganizationForm.clean_organization_name


class InvitedSignupForm(UserCreationForm):
    """Sign-up through an invitation link: the account gets the invited address."""

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username"]

    def __init__(self, *args, email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # UserAttributeSimilarityValidator compares the password with the address too.
        self.instance.email = email
