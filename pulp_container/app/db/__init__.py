"""Database tools that know nothing of the registry: a queryset compiled once per process
(``compiled.py``) and database work run again on a fresh connection when PostgreSQL restarted
under it (``connections.py``)."""
