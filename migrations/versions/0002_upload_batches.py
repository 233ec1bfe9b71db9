"""Uploads become batches: one row per upload request, its files in `upload_files`.

`uploads` gains a public id (what clients see), a file count and when it was checked; the
per-file name and hash move to `upload_files`. Batch mode, so SQLite rebuilds the table.
Rows from before this revision (none were ever written by the application) keep their status
when it is one of the new ones and become `failed` otherwise; they have no files.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)
STATUSES = ("receiving", "pending", "checking", "checked", "failed")
STATUS_CHECK = "status IN ({})".format(", ".join(f"'{status}'" for status in STATUSES))


def upgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("public_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("file_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("checked_at", TIMESTAMP, nullable=True))
    _backfill_existing_rows()
    with op.batch_alter_table("uploads") as batch:
        batch.alter_column("public_id", existing_type=sa.String(32), nullable=False)
        batch.alter_column("file_count", existing_type=sa.Integer(), server_default=None)
        batch.drop_column("original_name")
        batch.drop_column("sha256")
        batch.create_unique_constraint(op.f("uq_uploads_public_id"), ["public_id"])
        batch.create_check_constraint(op.f("ck_uploads_status"), STATUS_CHECK)
        batch.create_index(op.f("ix_uploads_status"), ["status"])

    op.create_table(
        "upload_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("relative_path", sa.Text(), nullable=False),
        sa.Column("stored_name", sa.String(32), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["uploads.id"],
            name=op.f("fk_upload_files_upload_id_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_files")),
        sa.UniqueConstraint("upload_id", "position", name=op.f("uq_upload_files_upload_id")),
    )


def _backfill_existing_rows() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, status FROM uploads")).all()
    for row_id, status in rows:
        connection.execute(
            sa.text("UPDATE uploads SET public_id = :public_id, status = :status WHERE id = :id"),
            {
                "public_id": "up_" + secrets.token_urlsafe(16),
                "status": status if status in STATUSES else "failed",
                "id": row_id,
            },
        )


def downgrade() -> None:
    op.drop_table("upload_files")
    with op.batch_alter_table("uploads") as batch:
        batch.drop_index(op.f("ix_uploads_status"))
        batch.drop_constraint(op.f("ck_uploads_status"), type_="check")
        batch.drop_constraint(op.f("uq_uploads_public_id"), type_="unique")
        batch.add_column(
            sa.Column("original_name", sa.String(255), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("sha256", sa.String(64), nullable=False, server_default=""))
        batch.drop_column("checked_at")
        batch.drop_column("file_count")
        batch.drop_column("public_id")
    with op.batch_alter_table("uploads") as batch:
        batch.alter_column("original_name", existing_type=sa.String(255), server_default=None)
        batch.alter_column("sha256", existing_type=sa.String(64), server_default=None)
