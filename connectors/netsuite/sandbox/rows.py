"""SuiteQL rows over the NetSuite sandbox's seeded records: each row builds its full record only when a
query needs more than the id and dates, so listing queries over thousands of records stay cheap."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from connectors.netsuite.sandbox import suiteql
from connectors.netsuite.sandbox.data import NetSuiteData


class LazyRow:
    """A SuiteQL row that builds the full record only when the query needs more than id and dates."""

    __slots__ = ("_data", "_id", "_modified", "_record", "_table", "_type", "_zone")

    def __init__(
        self, data: NetSuiteData, table: str, record_type: str, modified: datetime, id_: int, zone: tzinfo = UTC
    ):
        self._data, self._table, self._type, self._modified, self._id, self._record, self._zone = (
            data,
            table,
            record_type,
            modified,
            id_,
            None,
            zone,
        )

    def __getitem__(self, column: str):
        if column == "id":
            return self._id
        if column == "lastmodifieddate":
            # SuiteQL dates are in the user's Time Zone preference (the REST API gives UTC instants).
            return self._modified.astimezone(self._zone).replace(tzinfo=None)
        if column == "type":
            return "ItemShip"
        if column == "itemtype":
            return "InvtPart"
        if self._record is None:
            self._record = self._data.get(self._type, str(self._id))
        record = self._record
        mapping = {
            "itemid": record.get("itemId"),
            "displayname": record.get("displayName"),
            "upccode": record.get("upcCode"),
            "isinactive": record.get("isInactive"),
            "tranid": record.get("tranId"),
            "trandate": record.get("tranDate"),
            "status": (record.get("shipStatus") or {}).get("id"),
            "createddate": record.get("createdDate"),
        }
        if column not in mapping:
            raise suiteql.SuiteQLError(f"Invalid search query: unknown field {column!r} in {self._table}.")
        return mapping[column]
