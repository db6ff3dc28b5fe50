from rest_framework.pagination import CursorPagination


class DefaultCursorPagination(CursorPagination):
    """Cursor pagination: stable under inserts, O(1) per page. Newest first unless a view says otherwise."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 500
