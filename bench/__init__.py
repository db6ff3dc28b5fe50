"""The benchmarks (`manage.py bench <name> [options]`) and the rigs they share with the end-to-end tests.

Each benchmark prints its figures and a ratio against a baseline measured in the same run. aiohttp
(the webhook benchmark's receiver and bare-client baseline) is a development requirement only.
"""
