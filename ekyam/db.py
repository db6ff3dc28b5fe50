"""Database helpers of the long-running processes and of the set-based hot paths."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection


def keep_connection() -> None:
    """Before a batch in a long-running loop or thread: keep its database connection, dropping it only
    when it is broken. (`close_old_connections` closes it every time with CONN_MAX_AGE=0, so each batch
    paid a new PostgreSQL backend.)"""
    if connection.connection is not None and connection.errors_occurred:
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            connection.close()


def set_based_writes() -> bool:
    """Whether the hot paths write with single set-based statements (PostgreSQL) instead of the ORM."""
    return connection.vendor == "postgresql"


@contextmanager
def binding_cursor():
    """A server-side-binding cursor on Django's own connection, so it shares the open transaction.
    (Django's cursors bind client-side: every array would be quoted into the SQL text in Python.)
    Errors come out as Django's (IntegrityError, ...), so callers handle them as for the ORM."""
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def delete_in_batches(queryset, batch: int, max_batches: int) -> int:
    """Delete the rows of an ordered queryset `batch` at a time (short transactions, no long locks);
    returns how many rows were deleted (cascades not counted)."""
    total = 0
    for _ in range(max_batches):
        ids = list(queryset.values_list("pk", flat=True)[:batch])
        if not ids:
            break
        queryset.model.objects.filter(pk__in=ids).delete()
        total += len(ids)
    return total
