"""A terminal chat over the token-bound REST channel (what `make shell` runs).

Numbers pick a button of the last message; anything else is sent as typed; Ctrl-D ends.
"""

from __future__ import annotations

import argparse
import sys

import httpx


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--web", required=True, help="the web app, which issues the token")
    parser.add_argument("--rasa", required=True, help="the Rasa server")
    args = parser.parse_args()
    with httpx.Client(timeout=60) as client:
        try:
            session = client.post(f"{args.web}/api/sessions").json()
        except httpx.HTTPError:
            print(f"The web app at {args.web} does not answer: is `make run` running?")
            return 1
        headers = {"Authorization": f"Bearer {session['token']}"}
        print(f"conversation {session['conversation_id']} (Ctrl-D to end)")
        buttons: list[dict[str, str]] = []
        while True:
            try:
                text = input("you> ").strip()
            except EOFError:
                print()
                return 0
            if text.isdigit() and 0 < int(text) <= len(buttons):
                text = buttons[int(text) - 1]["payload"]
            reply = client.post(
                f"{args.rasa}/webhooks/rest/webhook", json={"message": text}, headers=headers
            )
            if reply.status_code != 200:
                print(f"[{reply.status_code}] {reply.text}")
                continue
            buttons = []
            for message in reply.json():
                if message.get("text"):
                    print(f"bot> {message['text']}")
                for button in message.get("buttons") or []:
                    buttons.append(button)
                    print(f"  {len(buttons)}. {button.get('title')}")


if __name__ == "__main__":
    sys.exit(main())
