"""NetSuite (SuiteTalk REST web services): a read-only connector for inventory items and item fulfillments."""
