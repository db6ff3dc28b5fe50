import django_filters

from webhooks.models import DeadLetter, Message


class DeadLetterFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = DeadLetter
        fields = ["endpoint", "event_type", "status", "since", "until"]


class MessageFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    endpoint = django_filters.NumberFilter(field_name="deliveries__endpoint", distinct=True)
    status = django_filters.CharFilter(field_name="deliveries__status", distinct=True)

    class Meta:
        model = Message
        fields = ["event_type", "since", "endpoint", "status"]
