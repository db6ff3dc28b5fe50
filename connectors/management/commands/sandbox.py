"""`manage.py sandbox <vendor> --port N [--webhook-url URL] [--activity-seconds S] [--state-file PATH]`: serve a
vendor's sandbox API in the foreground, optionally living (business activity every S seconds) and kept in
a state file across restarts (connectors/sandbox_life.py)."""

import signal

from django.core.management.base import BaseCommand, CommandError

from connectors.registry import get_connector
from connectors.sandbox import SandboxServer
from connectors.sandbox_life import SandboxLife
from ekyam.redaction import redact


class Command(BaseCommand):
    help = "Serve the sandbox emulator of a vendor API (netsuite, whiplash, shopify) over HTTP."
    requires_system_checks = []  # an emulator needs no URL/model checks: start fast, whatever else is broken

    def add_arguments(self, parser):
        parser.add_argument("vendor")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--seed", type=int, default=42, help="Seed of the generated data (deterministic).")
        parser.add_argument("--records", type=int, default=None, help="How many records to generate.")
        parser.add_argument(
            "--webhook-url",
            default="",
            help="Where the sandbox's webhook sender (POST /_sandbox/fire) delivers events, e.g. Ekyam's "
            "/hooks/<vendor>/<token>/ address of the connection to this sandbox.",
        )
        parser.add_argument(
            "--activity-seconds",
            type=float,
            default=0.0,
            help="Generate business activity (new records, stock changes, shipments, with their webhooks) "
            "every S seconds; 0 (the default) keeps the data still. Changeable at run time: POST /_sandbox/activity.",
        )
        parser.add_argument(
            "--state-file",
            default="",
            help="Keep the sandbox's data in this JSON file (loaded on start, rewritten atomically on change).",
        )

    def handle(self, *args, vendor, host, port, seed, records, webhook_url, activity_seconds, state_file, **options):
        if activity_seconds < 0:
            raise CommandError("--activity-seconds must be 0 (off) or more.")
        try:
            connector = get_connector(vendor)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        kwargs = {"seed": seed}
        if records is not None:
            kwargs["records"] = records
        app = connector.sandbox_app(**kwargs)
        if webhook_url:
            if not hasattr(app, "webhook_url"):
                raise CommandError(f"The {connector.name} sandbox sends no webhooks; drop --webhook-url.")
            app.set_extra_knobs({"webhook_url": webhook_url})
        life = SandboxLife(app, activity_seconds=activity_seconds, state_file=state_file or None).start()
        server = SandboxServer(app, host=host, port=port)
        self.stdout.write(f"{connector.name} sandbox listening on http://{host}:{port}")
        if webhook_url:
            # The address holds the connection's inbound token: said without it, like every log line.
            self.stdout.write(f"{connector.name} sandbox sends its webhooks to {redact(webhook_url)}")
        if state_file:
            loaded = "loaded from" if life.restored else "kept in"
            self.stdout.write(f"{connector.name} sandbox data {loaded} {state_file}")
        if activity_seconds:
            self.stdout.write(f"{connector.name} sandbox: business activity every {activity_seconds:g} s")
        signal.signal(signal.SIGTERM, _raise_interrupt)  # stopped by `standalone`: save the state first
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()
            life.stop()


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt
