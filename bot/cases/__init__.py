"""Cases: what support staff act on once the bot has gathered a second-opinion request."""

from bot.cases.lookup_limits import (
    CASE_NUMBER_FAILURE_LIMIT,
    CLIENT_FAILURE_LIMIT,
    STATUS_LOOKUP_LIMIT,
    STATUS_LOOKUP_WINDOW,
    LookupLock,
)
from bot.cases.numbers import is_valid_case_number, new_case_number, normalize_case_number
from bot.cases.records import (
    CaseDetails,
    CaseNotFound,
    CaseSummary,
    ConsentDecision,
    ContactDetails,
    DeletionReport,
    LookupOutcome,
    StatusLookupResult,
    StorageUnavailable,
)
from bot.cases.service import CaseService
from bot.cases.status import (
    CaseStatus,
    InvalidTransition,
    can_transition,
    describe_status,
    require_transition,
)
from bot.cases.validation import (
    parse_date_of_birth,
    parse_email,
    parse_full_name,
    parse_phone,
)

__all__ = [
    "CASE_NUMBER_FAILURE_LIMIT",
    "CLIENT_FAILURE_LIMIT",
    "STATUS_LOOKUP_LIMIT",
    "STATUS_LOOKUP_WINDOW",
    "CaseDetails",
    "CaseNotFound",
    "CaseService",
    "CaseStatus",
    "CaseSummary",
    "ConsentDecision",
    "ContactDetails",
    "DeletionReport",
    "InvalidTransition",
    "LookupLock",
    "LookupOutcome",
    "StatusLookupResult",
    "StorageUnavailable",
    "can_transition",
    "describe_status",
    "is_valid_case_number",
    "new_case_number",
    "normalize_case_number",
    "parse_date_of_birth",
    "parse_email",
    "parse_full_name",
    "parse_phone",
    "require_transition",
]
