from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "ekyam.alerts"
    label = "alerts"
    verbose_name = "Alerts"
