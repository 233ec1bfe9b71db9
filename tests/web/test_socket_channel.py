"""Our socket.io channel inside Rasa's Python: token checks and the handlers it replaces.

The channel imports Rasa, which only the Rasa environment (.venv-rasa) has, so the checks run
there in a subprocess. The browser tests exercise it end to end.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.needs import need

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

CHECKS = r"""
from bot.channels.socketio import ConversationSocketIOInput as C
from bot.security.tokens import issue_token
key = "k" * 32
channel = C.from_credentials({"session_persistence": True, "jwt_key": key})
assert channel.name() == "socketio"
channel.blueprint(lambda message: None)
handlers = channel.sio.handlers["/"]
assert handlers["connect"].__qualname__.startswith("ConversationSocketIOInput.")
assert handlers["session_request"].__qualname__.startswith("ConversationSocketIOInput.")
assert handlers["user_uttered"].__qualname__.startswith("ConversationSocketIOInput.")
ok = issue_token(key, "web-a", "conversation", 60)
assert channel.conversation_for({"token": ok}) == "web-a"
assert channel.conversation_for({"token": issue_token(key, "web-a", "upload", 60)}) is None
assert channel.conversation_for({"token": issue_token(key, "web-a", "conversation", -1)}) is None
foreign = issue_token("x" * 32, "web-a", "conversation", 60)
assert channel.conversation_for({"token": foreign}) is None
assert channel.conversation_for(None) is None and channel.conversation_for({"token": 5}) is None
try:
    C.from_credentials({}).blueprint(lambda message: None)
except ValueError:
    pass
else:
    raise AssertionError("a channel without jwt_key must not start")
print("ok")
"""


def test_channel_checks_tokens_and_replaces_rasas_handlers() -> None:
    need(RASA_PYTHON.exists(), "the Rasa environment (.venv-rasa)")
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", CHECKS], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip().endswith("ok"), result.stderr[-2000:]


def test_credentials_use_the_bound_channel_with_the_shared_secret() -> None:
    text = (ROOT / "credentials.yml").read_text()
    socket = yaml.safe_load(text)["bot.channels.socketio.ConversationSocketIOInput"]
    assert socket["session_persistence"] is True
    assert socket["jwt_method"] == "HS256"
    # Unquoted, so Rasa expands it from the environment.
    assert "\n  jwt_key: ${SECONDREAD_SECRET_KEY}\n" in text
    assert "socketio" not in yaml.safe_load(text)  # not also Rasa's unbound channel
