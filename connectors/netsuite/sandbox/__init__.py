"""The NetSuite sandbox: an emulator of SuiteTalk REST web services over real HTTP (see app.py)."""
