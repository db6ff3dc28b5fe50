from django.apps import AppConfig


class EkyamConfig(AppConfig):
    name = "ekyam"
    verbose_name = "Ekyam: organizations and access"

    def ready(self):
        from ekyam.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
