"""Paged, incremental, resumable reads of NetSuite records.

Why SuiteQL for listing and the record API for records (the fewest calls that give complete records):
- The record collection GET (`/record/v1/itemFulfillment?q=…`) returns ids only, filters dates at
  minute precision in the user's date format, and cannot order by lastModifiedDate — so it cannot
  page a moving data set stably.
- SuiteQL can: one call lists up to 1000 `(id, lastmodifieddate)` pairs to the second, ordered by
  `(lastmodifieddate, id)`, a unique and stable key. But its rows are flat: sublists (item lines,
  packages) and subrecords (the shipping address) would need one join query per sublist, in table
  shapes that differ from the REST record the mappings are written against.
- The record API with `expandSubResources=true` returns the complete record — body fields, address
  subrecord, item and package sublists — in one call. (`expandRecords` batch reads are not available
  on every release, so we do not depend on them.)
So a read costs 1 SuiteQL call per 1000 records plus 1 GET per record, the GETs running in parallel
up to the connection's concurrency limit.

The cursor is JSON: the high-water mark `(lastmodifieddate, id)` of what was listed, plus the ids and
modification times of records already emitted inside the overlap window. Each read re-lists from
`high-water mark − overlap` (records whose lastModifiedDate lands late, in the past, are not lost at
the boundary) and skips records whose (id, lastmodifieddate) it already emitted (a modified record is
read exactly once per change). SuiteQL returns at most 100,000 rows per query: before paging past
that, the query window moves to start right after the last row listed (keyset on the same order).

Time zones: SuiteQL gives and compares dates in the integration user's Time Zone preference, the
record API in UTC; the connection's `timezone` says which zone SuiteQL speaks, and every time in the
cursor is in it. In a zone with daylight saving the overlap grows by the shift, for the hour that
repeats when clocks fall back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from connectors.base import Page, PermanentError, RateLimitError, ReadFailure, TransientError, ValidationError
from connectors.netsuite.client import NetSuiteClient
from connectors.netsuite.streams import RecordStream

LIST_LIMIT = 1000  # SuiteQL's maximum page size
MAX_QUERY_RESULTS = 100_000  # SuiteQL's cap per query
DEFAULT_OVERLAP = timedelta(minutes=10)
MAX_SEEN = 20_000  # bound on the overlap memory kept in the cursor
SQL_TIME = "%Y-%m-%d %H:%M:%S"
RECORD_PATH = "/services/rest/record/v1"


def dst_shift(zone: tzinfo) -> timedelta:
    """The daylight-saving shift of `zone` (zero for UTC and zones without DST)."""
    year = datetime.now(UTC).year
    return max(zone.dst(datetime(year, month, 1)) or timedelta(0) for month in (1, 7))


def record_time(value: str, zone: tzinfo = UTC) -> str:
    """REST `2025-12-19T15:23:00Z` (or SuiteQL text) → the cursor's `YYYY-MM-DD HH:MM:SS`, in the time
    zone SuiteQL speaks for this account (`zone`): the REST API gives UTC instants, SuiteQL the
    integration user's Time Zone preference, and the two must compare equal for the same change."""
    value = value.strip()
    if "T" in value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(zone).replace(tzinfo=None)
        return parsed.strftime(SQL_TIME)
    return value


@dataclass
class Cursor:
    modified: str | None = None  # high-water mark of listed rows: lastmodifieddate …
    id: int = 0  # … and id
    seen: dict[str, str] = field(default_factory=dict)  # id → lastmodifieddate emitted, inside the overlap
    floor: str | None = None  # set when `seen` was truncated: do not re-list below this

    @classmethod
    def decode(cls, raw: str | None) -> Cursor:
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
            return cls(data.get("modified"), int(data.get("id") or 0), dict(data.get("seen") or {}), data.get("floor"))
        except (ValueError, TypeError, AttributeError):
            raise ValidationError(f"Not a NetSuite cursor: {raw[:80]!r}.") from None

    def encode(self) -> str:
        data = {"v": 1, "modified": self.modified, "id": self.id, "seen": self.seen}
        if self.floor:
            data["floor"] = self.floor
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    def window_start(self, overlap: timedelta) -> str | None:
        if not self.modified:
            return None
        start = (datetime.strptime(self.modified, SQL_TIME) - overlap).strftime(SQL_TIME)
        return max(start, self.floor) if self.floor else start

    def advance(self, modified: str, id_: int) -> None:
        if self.modified is None or (modified, id_) > (self.modified, self.id):
            self.modified, self.id = modified, id_

    def prune(self, overlap: timedelta) -> None:
        start = self.window_start(overlap)
        if start:
            self.seen = {k: v for k, v in self.seen.items() if v >= start}
        if len(self.seen) > MAX_SEEN:
            kept = sorted(self.seen.items(), key=lambda kv: kv[1])[-MAX_SEEN:]
            self.seen = dict(kept)
            self.floor = kept[0][1]


def _sql_time(value: str) -> str:
    return f"TO_DATE('{value}', 'YYYY-MM-DD HH24:MI:SS')"


def listing_query(stream: RecordStream, *, since: str | None, after: tuple[str, int] | None) -> str:
    conditions = [stream.table_filter]
    if since:
        conditions.append(f"lastmodifieddate >= {_sql_time(since)}")
    if after:
        modified, id_ = after
        conditions.append(
            f"(lastmodifieddate > {_sql_time(modified)} OR (lastmodifieddate = {_sql_time(modified)} AND id > {id_}))"
        )
    return (
        "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified "
        f"FROM {stream.table} WHERE {' AND '.join(conditions)} ORDER BY lastmodifieddate, id"
    )


class RecordReader:
    def __init__(
        self,
        client: NetSuiteClient,
        stream: RecordStream,
        *,
        concurrency: int = 5,
        overlap: timedelta = DEFAULT_OVERLAP,
        max_query_results: int = MAX_QUERY_RESULTS,
        list_limit: int = LIST_LIMIT,
        zone: tzinfo = UTC,
    ):
        self.client = client
        self.zone = zone
        # Where the user's zone falls back an hour, SuiteQL times repeat an hour: a change in the
        # second pass sorts below a mark set in the first. Re-listing that much more finds it.
        overlap += dst_shift(zone)
        self.stream = stream
        self.concurrency = max(1, concurrency)
        self.overlap = overlap
        self.max_query_results = max_query_results
        self.list_limit = min(list_limit, LIST_LIMIT)

    def fetch(self, record_id: str) -> dict | None:
        try:
            return self.client.get(
                f"{RECORD_PATH}/{self.stream.record_type}/{record_id}", {"expandSubResources": "true"}
            )
        except PermanentError as exc:
            if exc.code == "not_found":
                return None  # deleted between listing and fetching
            raise

    def _fetch_one(self, record_id: str) -> dict | ReadFailure | None:
        try:
            return self.fetch(record_id)
        except RateLimitError:
            raise  # the account's limit, not this record: the page is retried from the checkpoint
        except TransientError as exc:
            return ReadFailure(str(record_id), exc)

    def _fetch_many(self, pool: ThreadPoolExecutor, ids: list[str]) -> tuple[list[dict], list[ReadFailure]]:
        """The records of `ids` and the ones that could not be read. A record whose GET still fails after
        the client's retries, while the listing worked, is one unreadable record: it is handed back as a
        failure and the stream moves on. When every GET of a page fails (more than one), NetSuite itself is
        in trouble: the page fails as a whole, to be retried from the checkpoint."""
        records, failures = [], []
        for outcome in pool.map(self._fetch_one, ids):
            if isinstance(outcome, ReadFailure):
                failures.append(outcome)
            elif outcome is not None:
                records.append(outcome)
        if len(failures) > 1 and not records:
            raise failures[0].error
        return records, failures

    def read(self, cursor: str | None, page_size: int, ids: list[str] | None = None) -> Iterator[Page]:
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="netsuite-read") as pool:
            if ids:
                yield from self._read_ids(pool, cursor, page_size, ids)
            else:
                yield from self._read_window(pool, cursor, page_size)

    def _read_ids(self, pool, cursor, page_size, ids) -> Iterator[Page]:
        """Targeted reads (from a webhook) fetch exactly these records and leave the cursor alone."""
        counted = self.client.request_count
        unique = list(dict.fromkeys(str(i) for i in ids))
        for start in range(0, len(unique), page_size):
            records, failures = self._fetch_many(pool, unique[start : start + page_size])
            done = start + page_size >= len(unique)
            yield Page(records, cursor, done=done, requests=self.client.request_count - counted, failures=failures)
            counted = self.client.request_count

    def _read_window(self, pool, raw_cursor, page_size) -> Iterator[Page]:
        state = Cursor.decode(raw_cursor)
        since = state.window_start(self.overlap)
        after: tuple[str, int] | None = None
        offset = 0
        counted = self.client.request_count
        while True:
            listing = self.client.suiteql(
                listing_query(self.stream, since=since, after=after), limit=self.list_limit, offset=offset
            )
            rows = [(str(r["id"]), record_time(str(r["modified"]), self.zone)) for r in listing.get("items") or []]
            for start in range(0, len(rows), page_size):
                chunk = rows[start : start + page_size]
                wanted = [rid for rid, modified in chunk if state.seen.get(rid) != modified]
                records, failures = self._fetch_many(pool, wanted)
                for record in records:
                    state.seen[str(record["id"])] = record_time(record.get("lastModifiedDate") or "", self.zone)
                # An unreadable record is marked seen at its listed time like the others: the next reads of
                # the overlap window do not stumble on it again (it is a record error, retried by id); a
                # later change to it lists it under a new time and reads it afresh.
                listed = dict(chunk)
                for failure in failures:
                    state.seen[failure.source_id] = listed.get(failure.source_id, "")
                last_id, last_modified = chunk[-1]
                state.advance(last_modified, int(last_id))
                state.prune(self.overlap)
                yield Page(records, state.encode(), requests=self.client.request_count - counted, failures=failures)
                counted = self.client.request_count
            if not rows:
                break
            offset += len(rows)
            has_more = bool(listing.get("hasMore"))
            if has_more and offset + self.list_limit <= self.max_query_results:
                continue
            if not has_more and offset < self.max_query_results:
                break
            # The query hit SuiteQL's result cap: restart right after the last row listed.
            after = (rows[-1][1], int(rows[-1][0]))
            offset = 0
        yield Page([], state.encode(), done=True, requests=self.client.request_count - counted)
