"""The domain responses the code names, read from the source (no action runs).

`calls()` finds every `dispatcher.utter_message(...)` in bot/actions with the response it names
and the keyword arguments that fill that response's template variables (Rasa 3.6 fills `{name}`
from the slots and from these). `names_in_code()` is every "utter_..." string in bot/actions and
bot/guidance: the responses an action picks at run time (a question's reply, an explanation)
are named there too.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = ROOT / "bot" / "actions"
# utter_message's own parameters; any other keyword argument is a template variable.
DISPATCHER_PARAMETERS = frozenset(
    {"text", "image", "json_message", "template", "response", "attachment", "buttons", "elements"}
)
RESPONSE_NAME = re.compile(r"utter_[a-z0-9_]+")
UTTER_ACTION = "utter_action"  # the key Rasa records a sent response's name under, no response


@dataclass(frozen=True)
class Call:
    where: str  # bot/actions/cases.py:123
    responses: tuple[str, ...]  # the names it may send (both sides of `a if c else b`)
    named_at_run_time: bool  # the name is computed (a question's reply, an explanation)
    variables: frozenset[str]
    spread: bool  # **kwargs: variables that cannot be read here
    literal_text: bool  # text="..." (static wording) written in the action


def _names(node: ast.expr | None) -> tuple[str, ...] | None:
    """The literal response names of `response=`; None when computed at run time."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.IfExp):
        body, orelse = _names(node.body), _names(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def calls() -> list[Call]:
    found = []
    for path in sorted(ACTIONS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "utter_message"):
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            names = _names(keywords.get("response"))
            text = keywords.get("text")
            found.append(Call(
                where=f"{path.relative_to(ROOT)}:{node.lineno}",
                responses=names or (),
                named_at_run_time="response" in keywords and names is None,
                variables=frozenset(k for k in keywords if k and k not in DISPATCHER_PARAMETERS),
                spread=None in keywords,
                literal_text=isinstance(text, ast.Constant),
            ))
    return found


def names_in_code() -> set[str]:
    """Every string in bot/actions and bot/guidance that is a response's name."""
    names = set()
    for folder in (ACTIONS, ROOT / "bot" / "guidance"):
        for path in folder.glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    RESPONSE_NAME.fullmatch(node.value)
                ):
                    names.add(node.value)
    return names - {UTTER_ACTION}


def template_variables() -> dict[str, frozenset[str]]:
    """Per response, the keyword arguments the actions pass to fill it."""
    variables: dict[str, frozenset[str]] = {}
    for call in calls():
        for name in call.responses:
            variables[name] = variables.get(name, frozenset()) | call.variables
    return variables


def placeholders(text: str) -> set[str]:
    """The `{name}` variables of a response's text (`{{` is a literal brace)."""
    return set(re.findall(r"(?<!\{)\{(\w+)\}(?!\})", text))
