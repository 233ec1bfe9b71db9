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
received = []
async def record(message): received.append(message)
channel.blueprint(record)
handlers = channel.sio.handlers["/"]

# The handlers as socket.io calls them, with the server's session store, rooms and
# emits recorded instead of sent.
import asyncio
sessions, rooms, emitted, dropped = {}, [], [], []
async def save_session(sid, session, namespace=None): sessions[sid] = session
async def get_session(sid, namespace=None): return sessions.get(sid, {})
async def disconnect(sid, namespace=None): dropped.append(sid)
async def emit(event, data=None, room=None, **kw):
    if kw: raise TypeError(f"emit() got unexpected keyword arguments {sorted(kw)}")
    emitted.append((event, data, room))
channel.sio.save_session, channel.sio.get_session = save_session, get_session
channel.sio.disconnect, channel.sio.emit = disconnect, emit
channel.sio.enter_room = lambda sid, room, namespace=None: rooms.append((sid, room))
environ = {"REMOTE_ADDR": "127.0.0.1"}

async def scenario():
    # No token, or a token for something else: the connection is refused.
    assert await handlers["connect"]("s0", environ, None) is False
    upload = issue_token(key, "web-a", "upload", 60)
    assert await handlers["connect"]("s0", environ, {"token": upload}) is False
    # A conversation token binds the connection to its conversation...
    assert await handlers["connect"]("s1", environ, {"token": ok}) is True
    await handlers["session_request"]("s1", {"session_id": "web-a"})
    assert rooms == [("s1", "web-a")] and emitted[-1][:2] == ("session_confirm", "web-a")
    # ...and asking for another conversation's session disconnects it, joining nothing.
    assert await handlers["connect"]("s2", environ, {"token": ok}) is True
    await handlers["session_request"]("s2", {"session_id": "web-b"})
    assert dropped == ["s2"] and rooms == [("s1", "web-a")]
    # A message for another conversation is dropped before it reaches Rasa; one for its own
    # arrives, with the connection's address reference set by the server, not the client.
    await handlers["user_uttered"]("s1", {"session_id": "web-b", "message": "hi"})
    assert received == []
    await handlers["user_uttered"]("s1", {"session_id": "web-a", "message": "hi",
                                         "customData": {"client_address": "forged"}})
    (message,) = received
    assert message.sender_id == "web-a" and message.text == "hi"
    assert message.metadata["client_address"] not in (None, "forged")
    # A response's `custom:` JSON reaches the widget as {"custom": ...} (Rasa's own output
    # passed it as emit()'s keyword arguments and raised TypeError mid-turn).
    for output in (message.output_channel, channel.get_output_channel()):
        await output.send_custom_json("web-a", {"accepts": "report_picture"})
        assert emitted[-1] == ("bot_uttered", {"custom": {"accepts": "report_picture"}}, "web-a")

ok = issue_token(key, "web-a", "conversation", 60)
asyncio.run(scenario())
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
