"""Runs pulpcore with this plugin on one machine: PostgreSQL, api, content app and a worker.

``make run`` and the functional tests both start the server through this package.
"""
