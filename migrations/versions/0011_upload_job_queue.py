"""The shared upload-inspection queue's tables (procrastinate), on PostgreSQL only.

procrastinate's own schema file, applied as shipped into a PostgreSQL schema of its own
(`procrastinate`), so its tables, types and functions stay out of our models' way and leave with
one DROP SCHEMA. SQLite installs keep the web app's in-process queue and get nothing here.
Upgrading procrastinate: a new revision applies its migration files
(procrastinate/sql/migrations) in the same schema.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels = None
depends_on = None

SCHEMA = "procrastinate"  # bot/uploads/shared_queue.py connects with this search_path


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    cursor = bind.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    # The file as procrastinate ships it, without parameters (so its '%' stay as written),
    # with our schema first on the search path for this transaction only.
    cursor.execute(f"CREATE SCHEMA {SCHEMA}")
    cursor.execute("SELECT current_setting('search_path')")
    search_path = cursor.fetchone()[0]
    cursor.execute("SELECT set_config('search_path', %s, true)", (SCHEMA,))
    cursor.execute(SchemaManager.get_schema())
    cursor.execute("SELECT set_config('search_path', %s, true)", (search_path,))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
