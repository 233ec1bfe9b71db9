"""Rasa's check of every action-server response, with its JSON-schema validator built once.

Rasa 3.6 checks each response of the action server against one fixed schema with
`jsonschema.validate(result, schema)`, which on every call checks the schema itself against the
JSON-Schema meta-schema and builds a new validator. Under 20 concurrent conversations that was
31 % of the Rasa process's CPU (py-spy, 2026-12-04), more than half of it re-checking the same
schema. `install()` makes Rasa's `RemoteAction._validate_action_result` do what
`jsonschema.validate` does (the same validator class, chosen from the same schema, the same
best-matching error, Rasa's own hint appended to it) with the schema checked and the validator
built once per process. scripts/rasa-serve installs it before Rasa starts.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import ValidationError, exceptions, validators  # type: ignore[import-untyped]
from rasa.core.actions.action import RemoteAction  # type: ignore[import-not-found]
from rasa.shared.constants import DOCS_BASE_URL  # type: ignore[import-not-found]


@lru_cache(maxsize=1)
def response_validator() -> Any:
    """The validator of Rasa's action-response schema, its schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """Rasa's `_validate_action_result`, on the validator built once."""
    error = exceptions.best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    """Make every RemoteAction of this process use the validator built once."""
    RemoteAction._validate_action_result = validate_action_result
