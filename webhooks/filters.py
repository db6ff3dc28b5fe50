import django_filters

from webhooks.models import DeadLetter, Endpoint, Message


class DeadLetterFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")

    class Meta:
        model = DeadLetter
        fields = ["endpoint", "event_type", "status", "since", "until"]


class MessageFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    endpoint = django_filters.ModelChoiceFilter(
        field_name="deliveries__endpoint", queryset=Endpoint.objects.all(), distinct=True
    )
    status = django_filters.CharFilter(field_name="deliveries__status", distinct=True)

    class Meta:
        model = Message
        fields = ["event_type", "since", "endpoint", "status"]
