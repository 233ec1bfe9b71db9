"""Start-up and per-message figures of the running stack, printed, not asserted.

    .venv/bin/python bench/startup.py [--messages 60]

Starts Rasa, the action server and the web app on loopback as the integration tests do (the
model for the current inputs, trained first if it is stale: `scripts/train` prints how long
training took), then measures, with the date:

- start to first reply: from starting the three servers to the answer of a REST "hi";
- `/model/parse` over HTTP: p50 and p95 of `--messages` patient sentences;
- one conversation alone through the REST channel: p50 and p95 of a reply (free text, button
  payloads and a form), as a patient would wait for it;
- the Rasa process's resident memory after that.

The README's numbers table takes its start-up, parse and memory figures from here. Throughput
under load, side by side with a bare Rasa bot, is issue 19's `bench/load.py`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import percentile, pid_serving, rss_mb  # noqa: E402
from tests.integration.stack import running_stack  # noqa: E402

SENTENCES = (
    "is it worth getting a second opinion on my knee mri",
    "the imaging center still hasn't sent my cd after three weeks",
    "how much does a second read cost with medicare",
    "my two reports say different things about a nodule",
    "who should read a pediatric brain mri",
    "can you write the records request for me",
    "what does my report mean",
    "i want to open a case",
)
CONVERSATION = ("hi", "/ask_worthwhile", "an MRI", "my knee", "/inform", "thanks", "/ask_insurance",
                "medicare")


def rasa_rss_mb(port: int) -> float | None:
    """Resident memory of the process serving Rasa on `port`."""
    pid = pid_serving(port, b"scripts/rasa-serve")
    return None if pid is None else rss_mb(pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="secondread-bench-") as work:
        started = time.perf_counter()
        with running_stack(Path(work)) as stack:
            first = stack.say(f"bench-{uuid.uuid4().hex[:8]}", "hi")
            to_first_reply = time.perf_counter() - started
            assert first, "no reply to hi"
            parse: list[float] = []
            with httpx.Client(timeout=30) as client:
                for n in range(args.messages):
                    t0 = time.perf_counter()
                    client.post(f"{stack.rasa_url}/model/parse", params={"token": stack.token},
                                json={"text": SENTENCES[n % len(SENTENCES)]}).raise_for_status()
                    parse.append(time.perf_counter() - t0)
            replies: list[float] = []
            for _ in range(max(1, args.messages // len(CONVERSATION))):
                me = f"bench-{uuid.uuid4().hex[:8]}"
                for text in CONVERSATION:
                    t0 = time.perf_counter()
                    stack.say(me, text)
                    replies.append(time.perf_counter() - t0)
            rss = rasa_rss_mb(int(stack.rasa_url.rsplit(":", 1)[1]))
    ms = 1000
    print(f"SecondRead start-up and one conversation, {time.strftime('%Y-%m-%d')}")
    print(f"  start to first reply (3 servers, model cached): {to_first_reply:.1f} s")
    print(f"  /model/parse over HTTP, {len(parse)} messages: p50 "
          f"{statistics.median(parse) * ms:.0f} ms, p95 {percentile(parse, 0.95) * ms:.0f} ms")
    print(f"  one conversation alone (REST), {len(replies)} replies: p50 "
          f"{statistics.median(replies) * ms:.0f} ms, p95 {percentile(replies, 0.95) * ms:.0f} ms")
    print(f"  Rasa resident memory: {rss:.0f} MB" if rss else "  Rasa resident memory: unknown")


if __name__ == "__main__":
    main()
