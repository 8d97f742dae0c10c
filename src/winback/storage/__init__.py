"""Storage: the schema, the engines, the migrations and the queries.

All SQL lives under here but the raw log's append (``intake/rawlog.py``) and the
stores' own queries (``stores/``): see docs/architecture.md."""
