"""What the Rasa-side channels say on their own, without Rasa (importable by tests in .venv)."""

# One honest sentence when a turn fails (action server or database down), with the emergency
# line: a patient whose message was a red flag must not be left with only "try later".
TECHNICAL_PROBLEM = (
    "I'm having a technical problem right now. Nothing you told me is lost: please try again "
    "in a few minutes. If this is an emergency, call 911 (or your local emergency number) now."
)
