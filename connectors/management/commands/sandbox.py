"""`manage.py sandbox <vendor> --port N`: serve a vendor's sandbox API in the foreground."""

from django.core.management.base import BaseCommand, CommandError

from connectors.registry import get_connector
from connectors.sandbox import SandboxServer


class Command(BaseCommand):
    help = "Serve the sandbox emulator of a vendor API (netsuite, whiplash, shopify) over HTTP."
    requires_system_checks = []  # an emulator needs no URL/model checks: start fast, whatever else is broken

    def add_arguments(self, parser):
        parser.add_argument("vendor")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--seed", type=int, default=42, help="Seed of the generated data (deterministic).")
        parser.add_argument("--records", type=int, default=None, help="How many records to generate.")

    def handle(self, *args, vendor, host, port, seed, records, **options):
        try:
            connector = get_connector(vendor)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        kwargs = {"seed": seed}
        if records is not None:
            kwargs["records"] = records
        server = SandboxServer(connector.sandbox_app(**kwargs), host=host, port=port)
        self.stdout.write(f"{connector.name} sandbox listening on http://{host}:{port}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()
