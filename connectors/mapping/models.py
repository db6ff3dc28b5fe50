"""Mappings of a connection's stream onto (read) or from (write) an Ekyam Data Standard.

A `Mapping` is the stable identity (connection, stream, direction); its rules live in immutable
`MappingVersion` rows, one per save, so a run can record exactly which rules it used. Lookup
tables are their own rows, shared by every mapping of the organization that names them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from connectors.mapping.compiled import compiled_version, lookups_for, table_names
from connectors.standards import STANDARD_NAMES
from ekyam.tenancy import OrgOwned


class Direction(models.TextChoices):
    READ = "read", "Read (source record → standard)"
    WRITE = "write", "Write (standard → destination payload)"


STANDARD_CHOICES = [(name, name.replace("_", " ").title()) for name in STANDARD_NAMES]


class LookupTable(OrgOwned):
    """Value -> replacement, e.g. NetSuite ship status letters A/B/C -> picked/packed/shipped.
    Rules name it: {"op": "lookup", "table": "<name>"}."""

    name = models.SlugField(max_length=80, help_text="Name rules use to refer to the table.")
    description = models.CharField(max_length=200, blank=True, default="")
    values = models.JSONField(default=dict, help_text='Source value → value, e.g. {"A": "picked"}.')
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="lookup_table_name_unique_per_org")
        ]

    def __str__(self) -> str:
        return self.name


class Mapping(OrgOwned):
    connection = models.ForeignKey("connectors.Connection", on_delete=models.CASCADE, related_name="mappings")
    stream = models.CharField(max_length=60, help_text="The connector's stream, e.g. shipments.")
    direction = models.CharField(max_length=5, choices=Direction.choices)
    standard = models.CharField(max_length=30, choices=STANDARD_CHOICES)
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "stream", "direction"], name="mapping_unique_per_connection_stream_direction"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> MappingVersion | None:
        return self.versions.order_by("-number").first()


class MappingVersion(models.Model):
    """One saved state of a mapping's rules. Never changed after it is written."""

    organization_path = "mapping__organization"  # how `ekyam.tenancy.scoped` reaches the organization

    mapping = models.ForeignKey(Mapping, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    rules = models.JSONField(default=list)
    # Lookup tables shipped with a default mapping file; an organization's own LookupTable of the
    # same name takes precedence.
    lookups = models.JSONField(default=dict, blank=True)
    is_complete = models.BooleanField(default=False)
    missing_required = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    comment = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["mapping", "-number"]
        constraints = [models.UniqueConstraint(fields=["mapping", "number"], name="mapping_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.mapping} v{self.number}"

    def _tables(self) -> list:
        names = table_names(self.rules)
        if not names:
            return []
        return list(LookupTable.objects.filter(organization_id=self.mapping.organization_id, name__in=names))

    def lookup_tables(self) -> dict[str, dict]:
        return lookups_for(self, self._tables())

    def compiled(self):
        """The compiled mapping, cached per process until the version or a lookup table it uses changes."""
        return compiled_version(self, self._tables())


class SuggestionFeedback(OrgOwned):
    """A user accepted or rejected a suggested source field for a standard field. Accepted pairs
    become synonyms for the organization's later suggestions; rejected ones are ranked down."""

    standard = models.CharField(max_length=30, choices=STANDARD_CHOICES)
    direction = models.CharField(max_length=5, choices=Direction.choices, default=Direction.READ)
    target = models.CharField(max_length=120, help_text="The standard field, e.g. barcode.")
    source = models.CharField(max_length=200, help_text="The source field path, e.g. upcCode.")
    source_label = models.CharField(max_length=200, blank=True, default="")
    accepted = models.BooleanField()
    mapping = models.ForeignKey(Mapping, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = verbose_name_plural = "suggestion feedback"
        indexes = [models.Index(fields=["organization", "standard", "target"], name="mapping_feedback_lookup")]

    def __str__(self) -> str:
        verdict = "accepted" if self.accepted else "rejected"
        return f"{self.source} → {self.standard}.{self.target} ({verdict})"
