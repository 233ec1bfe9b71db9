"""No conversation goes mute: every patient message gets an answer, even when a dependency fails.

Two things could leave a patient without a reply:

- **A turn that fails.** With the action server down, every custom action raises; Rasa logs
  the error, predicts again, and after ten actions its circuit breaker stops the turn. With the
  database down, `handle_message` itself raises. Either way nothing is sent.
- **A conversation stuck for good after that.** Rasa counts the actions since the last
  `action_listen` to trip the breaker (`MessageProcessor.is_action_limit_reached`), and a user
  message does not reset that count. A turn that tripped the breaker never logs
  `action_listen`, so every later message trips it again at once and gets `[]`, even after the
  action server is back (`/restart` too).

The fix for the second is Rasa's own hook for a tripped breaker, `on_circuit_break` of the
`MessageProcessor` (Rasa's `Agent` leaves it unset): it logs the `action_listen` the turn
never reached, so the next message is predicted normally, with the form and slots intact. The
turn's handler then tells the patient in one honest sentence that something went wrong and
nothing was lost. A turn that sent nothing at all (and is not paused for a staff take-over)
gets the same sentence.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.shared.core.events import ActionExecuted  # type: ignore[import-not-found]

from bot.channels.notices import TECHNICAL_PROBLEM

logger = logging.getLogger(__name__)

ACTION_LISTEN = "action_listen"

Handler = Callable[[Any], Awaitable[Any]]

# Output channels whose turn tripped the circuit breaker (keyed weakly: one per message).
_broken_turns: weakref.WeakSet[Any] = weakref.WeakSet()
_apps: list[Any] = []


def end_broken_turn(tracker: Any, output_channel: Any, nlg: Any) -> None:
    """`on_circuit_break`: log the `action_listen` Rasa skipped, so the next message is heard."""
    tracker.update(ActionExecuted(ACTION_LISTEN))
    # An output channel that cannot be weakly referenced gets no notice flag.
    with contextlib.suppress(TypeError):
        _broken_turns.add(output_channel)
    logger.warning("a turn stopped at the action limit; the conversation listens again")


def install(blueprint: Any) -> None:
    """Remember the Sanic app the channel runs in, to reach Rasa's agent from the handler."""

    @blueprint.listener("before_server_start")  # type: ignore[untyped-decorator]
    async def keep_app(app: Any, _loop: Any) -> None:
        _apps.append(app)


def _processor() -> Any:
    agent = getattr(_apps[-1].ctx, "agent", None) if _apps else None
    return getattr(agent, "processor", None)


def guarded(on_new_message: Handler) -> Handler:
    """`on_new_message` that always answers the patient and never leaves the tracker stuck."""

    async def handle(message: Any) -> None:
        processor = _processor()
        # The model can be replaced at run time (a new processor): set the hook every turn.
        if processor is not None and processor.on_circuit_break is not end_broken_turn:
            processor.on_circuit_break = end_broken_turn
        output = message.output_channel
        sent = _count_sends(output)
        try:
            await on_new_message(message)
        except Exception:  # the patient must hear something whatever failed
            logger.exception("a message could not be handled")
            await _tell(output, message.sender_id)
            return
        broken = output in _broken_turns
        _broken_turns.discard(output)
        if broken or (sent() == 0 and not await _paused(processor, message.sender_id)):
            await _tell(output, message.sender_id)

    return handle


def _count_sends(output: Any) -> Callable[[], int]:
    """Count the bot messages Rasa sends on this message's output channel (one per message)."""
    count = 0
    send_response = output.send_response

    async def counting(recipient_id: str, message: dict[str, Any]) -> None:
        nonlocal count
        count += 1
        await send_response(recipient_id, message)

    output.send_response = counting
    return lambda: count


async def _paused(processor: Any, sender_id: str) -> bool:
    """A conversation paused for a staff take-over is silent on purpose."""
    if processor is None:
        return False
    try:
        tracker = await processor.tracker_store.retrieve(sender_id)
    except Exception:  # the database is down: not a take-over
        return False
    return bool(tracker is not None and tracker.is_paused())


async def _tell(output: Any, sender_id: str) -> None:
    try:
        await output.send_text_message(sender_id, TECHNICAL_PROBLEM)
    except Exception:  # the channel itself is gone; nothing more to do
        logger.warning("could not tell the patient about a technical problem")
