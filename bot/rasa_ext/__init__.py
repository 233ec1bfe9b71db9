"""Extensions loaded by the Rasa server (Python 3.10, `.venv-rasa`): stdlib and rasa imports
only, like bot/channels."""
