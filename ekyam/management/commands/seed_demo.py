"""Create the demo organization and its admin user (password printed once), idempotently."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from ekyam import actions
from ekyam.models import Organization, Role


class Command(BaseCommand):
    help = "Seed a demo organization with an admin user (and, where apps provide them, sandbox connections)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--password", default=None, help="Defaults to a random password, printed once.")

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        organization = Organization.objects.filter(slug=actions.DEMO_SLUG).first() or actions.create_organization(
            "Demo Merchant", demo=True
        )
        if not organization.is_demo:  # seeded before the demo was labelled
            organization.is_demo = True
            organization.save(update_fields=["is_demo"])
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            password = options["password"] or secrets.token_urlsafe(12)
            user = User.objects.create_superuser(
                options["username"], f"{options['username']}@ekyam.localhost", password
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created user '{user.username}' with password '{password}' (shown once; change it in the admin)."
                )
            )
        else:
            self.stdout.write(f"User '{user.username}' already exists; its password is unchanged.")
        actions.add_member(organization, user, Role.OWNER)
        from ekyam.seeding import run_app_seeders

        for line in run_app_seeders(organization):
            self.stdout.write(line)
