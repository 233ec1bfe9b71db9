"""The shared upload store's tables (UPLOAD_STORAGE=database): each file's length and its
ciphertext in pages (bot/storage/files.py). Created on SQLite too, where they stay empty, so
the schema is one on both databases.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("path", name=op.f("pk_stored_files")),
    )
    op.create_table(
        "stored_file_pages",
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["path"],
            ["stored_files.path"],
            name=op.f("fk_stored_file_pages_path_stored_files"),
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint("path", "page", name=op.f("pk_stored_file_pages")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Ciphertext does not compress: don't spend CPU trying (out of line, uncompressed).
        op.execute("ALTER TABLE stored_file_pages ALTER COLUMN data SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("stored_file_pages")
    op.drop_table("stored_files")
