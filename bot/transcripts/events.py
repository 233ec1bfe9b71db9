"""Rasa 3.6's SQL tracker store table, described here only to read it (never created by us)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    inspect,
    type_coerce,
)
from sqlalchemy.orm import Session

# A private MetaData: the table must never reach our migrations or test fixtures.
EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def event_json(dialect: str) -> ColumnElement[object]:
    """`data` as JSON for path lookups. Rasa stores it as TEXT: PostgreSQL needs a cast;
    SQLite's JSON functions read text as it is (and CAST AS JSON would turn it into 0)."""
    if dialect == "postgresql":
        return cast(EVENTS.c.data, JSON)
    return type_coerce(EVENTS.c.data, JSON)

FALLBACK_ACTION = "action_fallback"
FALLBACK_INTENT = "nlu_fallback"
RED_FLAG_INTENT = "red_flag"
EMERGENCY_ACTION = "action_emergency_guidance"
HANDOFF_SLOT = "handoff_requested"
# Below this the NLU guessed; the FallbackClassifier's own threshold (0.45) is lower still.
LOW_CONFIDENCE = 0.6
# Actions that end a journey with its answer: a journey counts as finished once one ran.
JOURNEY_ANSWERS = (
    "action_worthwhile_answer",
    "action_suggest_subspecialist",
    "action_insurance_answer",
    "utter_records_rights",
    "utter_disagree_steps",
)
STAFF_METADATA_KEY = "staff"


def has_events_table(session: Session) -> bool:
    """Rasa creates the table on its first start; before that there is nothing to read."""
    return inspect(session.connection()).has_table("events")
