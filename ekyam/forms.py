from django import forms
from django.contrib.auth import get_user_model

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


class AddMemberForm(forms.Form):
    username = forms.CharField(label="Username or e-mail", max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)

    def clean_username(self):
        value = self.cleaned_data["username"].strip()
        User = get_user_model()
        user = User.objects.filter(username=value).first() or User.objects.filter(email__iexact=value).first()
        if user is None:
            raise forms.ValidationError(f"No user named “{value}”. Ask them to sign up first, or check the spelling.")
        return user
