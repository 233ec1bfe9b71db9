"""Drive the held-out conversations through the real stack, exactly as the website widget does.

For each conversation: `POST /api/sessions` on the web app for a conversation token, a
python-socketio client connecting with `auth={"token": ...}` over the websocket transport,
`session_request`, then one `user_uttered` per turn; every `bot_uttered` is collected. A turn ends
when Rasa's tracker shows the bot listening again after that message (read with the HTTP API
token), so a slow action server never cuts a turn short.

    python -m tests.conversations.runner                  # starts the stack (tests/integration)
    python -m tests.conversations.runner --category red_flag
    python -m tests.conversations.runner --web-url http://127.0.0.1:8000 \
        --rasa-url http://127.0.0.1:5005 --rasa-token "$(cat var/rasa-api-token)"

Prints the pass rate per category and overall, then each failure with what the bot said.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import socketio
import yaml

HERE = Path(__file__).resolve().parent
TURN_TIMEOUT = 90.0


@dataclass(frozen=True)
class Turn:
    user: str
    say: tuple[str, ...] = ()
    say_any: tuple[str, ...] = ()
    not_say: tuple[str, ...] = ()
    first: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conversation:
    id: str
    category: str
    turns: tuple[Turn, ...]
    source: str


@dataclass
class TurnResult:
    user: str
    replies: list[str]
    intent: str | None = None
    confidence: float | None = None
    ranking: list[tuple[str, float]] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class ConversationResult:
    id: str
    category: str
    turns: list[TurnResult]
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and not any(t.problems for t in self.turns)


def _phrases(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    return (raw,) if isinstance(raw, str) else tuple(str(p) for p in raw)


def load_conversations(directory: Path = HERE) -> list[Conversation]:
    """Every conversation in the directory's YAML files; ids must be unique."""
    found: list[Conversation] = []
    for path in sorted(directory.glob("*.yml")):
        for raw in yaml.safe_load(path.read_text())["conversations"]:
            turns = tuple(
                Turn(
                    user=str(t["user"]),
                    say=_phrases(t.get("say")),
                    say_any=_phrases(t.get("say_any")),
                    not_say=_phrases(t.get("not_say")),
                    first=_phrases(t.get("first")),
                )
                for t in raw["turns"]
            )
            found.append(Conversation(str(raw["id"]), str(raw["category"]), turns, path.name))
    ids = [c.id for c in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate conversation ids: {duplicates}")
    return found


def check_turn(turn: Turn, replies: Sequence[str]) -> list[str]:
    """What the replies got wrong, in words (empty when the turn passes)."""
    everything = "\n".join(replies).lower()
    problems = [f"missing {p!r}" for p in turn.say if p.lower() not in everything]
    if turn.say_any and not any(p.lower() in everything for p in turn.say_any):
        problems.append(f"none of {list(turn.say_any)!r}")
    problems += [f"said {p!r}" for p in turn.not_say if p.lower() in everything]
    opening = replies[0].lower() if replies else ""
    problems += [f"first reply lacks {p!r}" for p in turn.first if p.lower() not in opening]
    return problems


def _reply_text(message: Any) -> str:
    """A bot_uttered payload as text, its button titles included (patients read them too)."""
    if not isinstance(message, dict):
        return str(message)
    parts = [str(message.get("text") or "")]
    buttons = message.get("quick_replies") or message.get("buttons") or []
    parts += [f"[{b.get('title', '')}]" for b in buttons if isinstance(b, dict)]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Target:
    web_url: str
    rasa_url: str
    rasa_token: str


class WidgetChat:
    """One conversation, connected the way bot/web/static/widget.js connects."""

    def __init__(self, target: Target, http: httpx.AsyncClient) -> None:
        self.target = target
        self.http = http
        self.sio = socketio.AsyncClient(reconnection=False)
        self.inbox: list[str] = []
        self.confirmed = asyncio.Event()
        self.conversation_id = ""

        @self.sio.on("bot_uttered")
        async def _bot_uttered(message: Any) -> None:
            self.inbox.append(_reply_text(message))

        @self.sio.on("session_confirm")
        async def _confirmed(_: Any = None) -> None:
            self.confirmed.set()

    async def open(self) -> None:
        r = await self.http.post(f"{self.target.web_url}/api/sessions")
        r.raise_for_status()
        session = r.json()
        self.conversation_id = session["conversation_id"]
        await self.sio.connect(
            session["socket_url"],
            socketio_path=session.get("socket_path") or "/socket.io",
            transports=["websocket"],
            auth={"token": session["token"]},
            wait_timeout=30,
        )
        await self.sio.emit("session_request", {"session_id": self.conversation_id})
        await asyncio.wait_for(self.confirmed.wait(), 30)

    async def close(self) -> None:
        await self.sio.disconnect()

    async def tracker(self) -> dict[str, Any]:
        r = await self.http.get(
            f"{self.target.rasa_url}/conversations/{self.conversation_id}/tracker",
            # ALL: after "start over" (a restart) the default view starts empty again.
            params={"token": self.target.rasa_token, "include_events": "ALL"},
        )
        r.raise_for_status()
        return dict(r.json())

    async def say(self, text: str) -> TurnResult:
        before = _user_count((await self.tracker()).get("events") or [])
        self.inbox.clear()
        await self.sio.emit(
            "user_uttered",
            {
                "message": text,
                "session_id": self.conversation_id,
                "metadata": {"display_text": text},
            },
        )
        deadline = time.monotonic() + TURN_TIMEOUT
        while True:
            events = (await self.tracker()).get("events") or []
            done = _turn_done(events, before)
            if done is not None:
                await self._collect(sum(1 for e in done if e.get("event") == "bot"))
                result = TurnResult(user=text, replies=list(self.inbox))
                _describe(result, done)
                return result
            if time.monotonic() > deadline:
                raise TimeoutError(f"no end of turn after {TURN_TIMEOUT:.0f} s for {text!r}")
            await asyncio.sleep(0.25)

    async def _collect(self, sent: int) -> None:
        """Wait until every message the tracker says was sent has arrived (Rasa splits a text
        at blank lines, so there may be more), then a little longer for the rest."""
        deadline = time.monotonic() + 15
        while len(self.inbox) < sent and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)


def _user_count(events: Iterable[dict[str, Any]]) -> int:
    return sum(1 for e in events if e.get("event") == "user")


def _turn_done(events: list[dict[str, Any]], before: int) -> list[dict[str, Any]] | None:
    """The events of the new turn once the bot listens again after the new user message."""
    if _user_count(events) <= before:
        return None
    start = max(i for i, e in enumerate(events) if e.get("event") == "user")
    tail = events[start:]
    last_action = [e for e in tail if e.get("event") == "action"]
    if last_action and last_action[-1].get("name") == "action_listen":
        return tail
    return None


def _describe(result: TurnResult, events: list[dict[str, Any]]) -> None:
    parse = events[0].get("parse_data") or {}
    intent = parse.get("intent") or {}
    result.intent = intent.get("name")
    result.confidence = intent.get("confidence")
    result.ranking = [
        (str(r.get("name")), float(r.get("confidence") or 0.0))
        for r in (parse.get("intent_ranking") or [])[:3]
    ]
    result.actions = [
        str(e.get("name"))
        for e in events
        if e.get("event") == "action" and e.get("name") != "action_listen"
    ]


async def run_conversation(
    target: Target, http: httpx.AsyncClient, conversation: Conversation
) -> ConversationResult:
    outcome = ConversationResult(conversation.id, conversation.category, [])
    chat = WidgetChat(target, http)
    try:
        await chat.open()
        for turn in conversation.turns:
            result = await chat.say(turn.user)
            result.problems = check_turn(turn, result.replies)
            outcome.turns.append(result)
    except Exception as error:  # a broken connection fails this conversation, not the run
        outcome.error = f"{type(error).__name__}: {error}"
    finally:
        if chat.sio.connected:
            await chat.close()
    return outcome


async def run_all(
    target: Target, conversations: Sequence[Conversation], concurrency: int = 3
) -> list[ConversationResult]:
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=30) as http:

        async def one(conversation: Conversation) -> ConversationResult:
            async with gate:
                return await run_conversation(target, http, conversation)

        return list(await asyncio.gather(*(one(c) for c in conversations)))


def summary(results: Sequence[ConversationResult]) -> str:
    """Pass rate per category and overall, then every failure with what the bot said."""
    by_category: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        by_category[r.category].append(r.passed)
    lines = ["category             passed  total   rate"]
    for category in sorted(by_category):
        ok = by_category[category]
        lines.append(f"{category:<20} {sum(ok):>6} {len(ok):>6} {100 * sum(ok) / len(ok):>6.1f}%")
    total = sum(r.passed for r in results)
    rate = 100 * total / len(results) if results else 0.0
    lines.append(f"{'overall':<20} {total:>6} {len(results):>6} {rate:>6.1f}%")
    failures = [r for r in results if not r.passed]
    if failures:
        lines += ["", f"{len(failures)} failing conversation(s):"]
    for r in failures:
        lines.append(f"- {r.id} ({r.category})" + (f": {r.error}" if r.error else ""))
        for t in r.turns:
            if not t.problems:
                continue
            confidence = f"{t.confidence:.2f}" if t.confidence is not None else "?"
            lines.append(f"    user: {t.user}")
            lines.append(f"    nlu: {t.intent} {confidence}; actions: {', '.join(t.actions)}")
            lines.append(f"    problems: {'; '.join(t.problems)}")
            for reply in t.replies:
                lines.append(f"      bot: {reply[:160]}")
    return "\n".join(lines)


def pass_rate(results: Sequence[ConversationResult]) -> float:
    return sum(r.passed for r in results) / len(results) if results else 0.0


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--category", action="append", help="only these categories")
    parser.add_argument("--web-url", help="a running web app (otherwise a stack is started)")
    parser.add_argument("--rasa-url")
    parser.add_argument("--rasa-token")
    parser.add_argument("--model", type=Path, help="this model instead of training one")
    parser.add_argument("--concurrency", type=int, default=3)
    parser.add_argument("--json", type=Path, help="write every turn's result here")
    parser.add_argument("--min-rate", type=float, default=0.0, help="exit 1 below this (0-1)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    conversations = load_conversations()
    if args.category:
        conversations = [c for c in conversations if c.category in args.category]
    started = time.monotonic()
    if args.web_url:
        target = Target(args.web_url, args.rasa_url or "", args.rasa_token or "")
        results = asyncio.run(run_all(target, conversations, args.concurrency))
    else:
        from tests.integration import stack as stacks

        if args.model:  # e.g. the model of an earlier commit, for a before/after comparison
            stacks.trained_model = lambda: args.model.resolve()
        running_stack = stacks.running_stack
        with (
            tempfile.TemporaryDirectory(prefix="eval-") as workdir,
            # Never the real NPI Registry: the directory answers as it does offline.
            running_stack(Path(workdir), extra_env={"NPPES_OFFLINE": "1"}) as stack,
        ):
            target = Target(stack.web_url, stack.rasa_url, stack.token)
            results = asyncio.run(run_all(target, conversations, args.concurrency))
    print(summary(results))
    print(f"\n{len(conversations)} conversations in {time.monotonic() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0 if pass_rate(results) >= args.min_rate else 1


if __name__ == "__main__":
    sys.exit(main())
