from django.apps import AppConfig


class MappingConfig(AppConfig):
    name = "connectors.mapping"
    label = "mapping"
    verbose_name = "Data mappings"
