"""The security tests reuse the database fixtures of tests/cases (SQLite and PostgreSQL) and
the action fixtures of tests/actions (real domain, a migrated SQLite database)."""

from tests.actions.conftest import case_db, domain  # noqa: F401
from tests.cases.conftest import (  # noqa: F401
    backend,
    clock,
    database_url,
    engine,
    service,
    sessions,
)
