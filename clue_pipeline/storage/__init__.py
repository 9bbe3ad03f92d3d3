"""Storage: SQLAlchemy 2 models, engine/session helpers and repositories."""
