"""`manage.py rotate_credentials`: re-encrypt every connection's secrets with the newest key."""

from django.core.management.base import BaseCommand

from connectors.actions import rotate_all_credentials


class Command(BaseCommand):
    help = (
        "Re-encrypt all stored connector credentials with the first key of EKYAM_CREDENTIAL_KEYS. Put the new key "
        "first, keep the old ones after it, run this, then remove the old keys."
    )

    def handle(self, *args, **options):
        count = rotate_all_credentials()
        self.stdout.write(f"Re-encrypted the credentials of {count} connection(s) with the newest key.")
