from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows and runs"

    def ready(self):
        from workflows import tasks  # noqa: F401  (registers the tasks `lifecycle` queues by name)
