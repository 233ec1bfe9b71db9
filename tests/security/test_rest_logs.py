"""No message text in the logs from Rasa's REST channel (PHI: patients write names, dates of
birth, findings). Rasa's own handler logs a message's text when its turn is cancelled (a
response timeout, a client gone): `rest.message.received.timeout text=...`.

The channel's route runs in the Rasa environment (.venv-rasa) in a subprocess, with every
logger at DEBUG and structlog printing, on a turn that is cancelled: ours must log no text and
answer 200; Rasa's own RestInput, the same way, prints the text (so the check can see it).
"""

from __future__ import annotations

import subprocess

from tests.integration.stack import ROOT
from tests.needs import need

RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
SECRET = "Maria Lopez born 03/14/1980 has a mass in her left breast"

CANCELLED_TURN = r"""
import asyncio, logging, sys, types
logging.basicConfig(level=logging.DEBUG, stream=sys.stdout)
from rasa.core.channels.rest import RestInput
from bot.channels.rest import ConversationRestInput

async def cancelled(message):
    raise asyncio.CancelledError()

channel = {"ours": lambda: ConversationRestInput("k" * 32), "rasa": RestInput}[sys.argv[1]]()
blueprint = channel.blueprint(cancelled)
route = next(r for r in blueprint._future_routes if r.uri == "/webhook")
request = types.SimpleNamespace(
    json={"sender": "conv-1", "message": sys.argv[2]}, args={}, headers={},
    ctx=types.SimpleNamespace(conversation_id="conv-1"),
)
response = asyncio.run(route.handler(request))
print("STATUS", response.status, response.body.decode())
"""


def _run(channel: str) -> str:
    need(RASA_PYTHON.exists(), "the Rasa environment (.venv-rasa)")
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", CANCELLED_TURN, channel, SECRET],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "STATUS 200" in result.stdout, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def test_rasa_own_channel_logs_the_text_of_a_cancelled_turn() -> None:
    output = _run("rasa")
    assert "rest.message.received.timeout" in output and SECRET in output


def test_our_channel_logs_a_cancelled_turn_without_its_text() -> None:
    output = _run("ours")
    assert "a REST turn was cancelled" in output
    assert SECRET not in output
    assert "Maria" not in output and "1980" not in output
