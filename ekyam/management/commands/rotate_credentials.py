"""`manage.py rotate_credentials`: re-encrypt every stored secret with the newest key."""

from django.core.management.base import BaseCommand

from ekyam import vault


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (connector credentials, webhook endpoint headers and signing secrets) "
        "with the first key of EKYAM_CREDENTIAL_KEYS. Put the new key first, keep the old ones after it, run "
        "this, then remove the old keys."
    )

    def handle(self, *args, **options):
        counts = vault.rotate_all()
        for plural, count in counts.items():
            self.stdout.write(f"Re-encrypted {count} {plural} with the newest key.")
