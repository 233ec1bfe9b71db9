"""The cases' database fixtures (SQLite and PostgreSQL, migrated) for the records requests."""

from tests.cases.conftest import (  # noqa: F401  (fixtures)
    backend,
    clock,
    database_url,
    engine,
    sessions,
)
