from django.apps import AppConfig


class ReconcileConfig(AppConfig):
    name = "workflows.reconcile"
    label = "reconcile"
    verbose_name = "Reconciliation and dry-run plans"

    def ready(self):
        # Runs that write prepared payloads (a reviewed plan, a reconciliation's corrections) use their own
        # executor; the engine looks executors up by trigger.
        from workflows.reconcile import applying, tasks  # noqa: F401  (registers the tasks queued by name)

        applying.register()
