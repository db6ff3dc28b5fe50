from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class DefaultCursorPagination(CursorPagination):
    """Cursor pagination: stable under inserts, O(1) per page. Newest first unless a view says otherwise."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 500
    invalid_cursor_message = "Invalid cursor: pass the `next` or `previous` link of a page as it was given."

    def decode_cursor(self, request):
        # DRF answers a malformed cursor 404; it is a bad query value, so 400 naming the parameter.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None
