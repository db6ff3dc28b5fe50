"""A small SuiteQL interpreter for the sandbox: enough of the language for listing queries.

Supported: `SELECT col | TO_CHAR(col, 'fmt') [AS alias], … FROM table [WHERE cond] [ORDER BY col [ASC|DESC], …]
[FETCH FIRST n ROWS ONLY]`, with conditions `=, !=, <>, <, <=, >, >=, IN (…)`, `AND`, `OR`, `NOT`,
parentheses, string/number literals and `TO_DATE('…', 'fmt')`. Anything else is a 400, as NetSuite
answers an invalid query.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any


class SuiteQLError(ValueError):
    pass


_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|'((?:[^']|'')*)'|([A-Za-z_][A-Za-z0-9_.]*)|(>=|<=|<>|!=|[=<>(),*]))")
_FORMAT = [("YYYY", "%Y"), ("HH24", "%H"), ("MM", "%m"), ("DD", "%d"), ("MI", "%M"), ("SS", "%S")]


def _strftime_format(fmt: str) -> str:
    for ora, py in _FORMAT:
        fmt = fmt.replace(ora, py)
    return fmt


def tokenize(text: str) -> list[tuple[str, Any]]:
    tokens, pos = [], 0
    text = text.strip().rstrip(";")
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise SuiteQLError(
                f"Invalid search query: unexpected character at position {pos}: {text[pos : pos + 20]!r}."
            )
        number, string, ident, op = match.groups()
        if number is not None:
            tokens.append(("num", float(number) if "." in number else int(number)))
        elif string is not None:
            tokens.append(("str", string.replace("''", "'")))
        elif ident is not None:
            tokens.append(
                (
                    "kw" if ident.upper() in _KEYWORDS else "id",
                    ident.upper() if ident.upper() in _KEYWORDS else ident.lower(),
                )
            )
        else:
            tokens.append(("op", op))
        pos = match.end()
    return tokens


_KEYWORDS = {
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "AS",
    "FETCH",
    "FIRST",
    "NEXT",
    "ROWS",
    "ROW",
    "ONLY",
}


class Query:
    def __init__(
        self, table: str, columns: list[tuple[str, Callable]], where: Callable | None, order: list, fetch: int | None
    ):
        self.table, self.columns, self.where, self.order, self.fetch = table, columns, where, order, fetch


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self, kind=None, value=None):
        if self.pos >= len(self.tokens):
            return None
        token = self.tokens[self.pos]
        if (kind and token[0] != kind) or (value is not None and token[1] != value):
            return None
        return token

    def take(self, kind=None, value=None):
        token = self.peek(kind, value)
        if token is None:
            found = self.tokens[self.pos][1] if self.pos < len(self.tokens) else "end of query"
            raise SuiteQLError(f"Invalid search query: expected {value or kind}, found {found!r}.")
        self.pos += 1
        return token

    def parse(self) -> Query:
        self.take("kw", "SELECT")
        columns = [self.select_item()]
        while self.peek("op", ","):
            self.take()
            columns.append(self.select_item())
        self.take("kw", "FROM")
        table = self.take("id")[1]
        where = None
        if self.peek("kw", "WHERE"):
            self.take()
            where = self.expr()
        order = []
        if self.peek("kw", "ORDER"):
            self.take()
            self.take("kw", "BY")
            while True:
                column = self.take("id")[1]
                descending = bool(self.peek("kw", "DESC"))
                if self.peek("kw", "DESC") or self.peek("kw", "ASC"):
                    self.take()
                order.append((column, descending))
                if not self.peek("op", ","):
                    break
                self.take()
        fetch = None
        if self.peek("kw", "FETCH"):
            self.take()
            self.take("kw")
            fetch = int(self.take("num")[1])
            self.take("kw")
            self.take("kw", "ONLY")
        if self.pos != len(self.tokens):
            raise SuiteQLError(f"Invalid search query: unexpected {self.tokens[self.pos][1]!r}.")
        return Query(table, columns, where, order, fetch)

    def select_item(self) -> tuple[str, Callable]:
        if self.peek("op", "*"):
            raise SuiteQLError("Invalid search query: SELECT * is not supported by this sandbox; name the columns.")
        name, getter = self.operand()
        if self.peek("kw", "AS"):
            self.take()
            name = self.take("id")[1]
        return name, getter

    def operand(self) -> tuple[str, Callable]:
        token = self.take()
        kind, value = token
        if kind == "num" or kind == "str":
            return str(value), lambda row, v=value: v
        if kind == "id" and self.peek("op", "("):
            self.take()
            args = [self.operand()]
            while self.peek("op", ","):
                self.take()
                args.append(self.operand())
            self.take("op", ")")
            return value, self.function(value, args)
        if kind == "id":
            return value, lambda row, c=value: row[c]
        raise SuiteQLError(f"Invalid search query: unexpected {value!r}.")

    def function(self, name: str, args) -> Callable:
        if name == "to_date" and len(args) == 2:
            text, fmt = args[0][1](None), _strftime_format(args[1][1](None))
            try:
                moment = datetime.strptime(text, fmt)
            except ValueError:
                raise SuiteQLError(f"Invalid search query: {text!r} does not match the date format.") from None
            return lambda row, m=moment: m
        if name == "to_char" and len(args) == 2:
            getter, fmt = args[0][1], _strftime_format(args[1][1](None))
            return lambda row: getter(row).strftime(fmt) if getter(row) is not None else None
        if name in ("upper", "lower") and len(args) == 1:
            getter = args[0][1]
            return lambda row: (getter(row) or "").upper() if name == "upper" else (getter(row) or "").lower()
        raise SuiteQLError(f"Invalid search query: unknown function {name.upper()}.")

    def expr(self) -> Callable:
        left = self.conjunction()
        while self.peek("kw", "OR"):
            self.take()
            right = self.conjunction()
            left = (lambda a, b: lambda row: a(row) or b(row))(left, right)
        return left

    def conjunction(self) -> Callable:
        left = self.negation()
        while self.peek("kw", "AND"):
            self.take()
            right = self.negation()
            left = (lambda a, b: lambda row: a(row) and b(row))(left, right)
        return left

    def negation(self) -> Callable:
        if self.peek("kw", "NOT"):
            self.take()
            inner = self.negation()
            return lambda row: not inner(row)
        if self.peek("op", "("):
            self.take()
            inner = self.expr()
            self.take("op", ")")
            return inner
        return self.comparison()

    def comparison(self) -> Callable:
        _name, left = self.operand()
        if self.peek("kw", "IN"):
            self.take()
            self.take("op", "(")
            values = [self.operand()[1](None)]
            while self.peek("op", ","):
                self.take()
                values.append(self.operand()[1](None))
            self.take("op", ")")
            allowed = {str(v) for v in values}
            return lambda row: str(left(row)) in allowed
        op = self.take("op")[1]
        _rname, right = self.operand()
        compare = {
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<>": lambda a, b: a != b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }.get(op)
        if compare is None:
            raise SuiteQLError(f"Invalid search query: unknown operator {op!r}.")

        def evaluate(row):
            a, b = left(row), right(row)
            if a is None or b is None:
                return False
            if isinstance(a, int) and isinstance(b, str) and b.isdigit():
                b = int(b)
            return compare(a, b)

        return evaluate


def parse(text: str) -> Query:
    return _Parser(text).parse()


def render(value: Any) -> str | None:
    """SuiteQL returns every value as a string; dates in the user's format (M/D/YYYY)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return f"{value.month}/{value.day}/{value.year}"
    if isinstance(value, bool):
        return "T" if value else "F"
    return str(value)
