from django.apps import AppConfig


class EkyamConfig(AppConfig):
    name = "ekyam"
    verbose_name = "Ekyam: organizations and access"

    def ready(self):
        from django.contrib import admin

        from ekyam.admin_scoping import restrict_to_superusers
        from ekyam.api import schema  # noqa: F401  (registers the OpenAPI auth extension)

        # Every app's admin module is loaded by now (django.contrib.admin comes first): the admins that
        # are not organization-scoped (groups, periodic tasks, schedules …) become superuser-only.
        restrict_to_superusers(admin.site)

        from ekyam.access import connect_signals

        connect_signals()  # live WebSockets close when their user's access goes
