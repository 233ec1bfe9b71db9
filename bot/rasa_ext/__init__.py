"""Extensions loaded by the Rasa server (Python 3.10, `.venv-rasa`): stdlib, rasa and Rasa's own
dependencies (redis) only, like bot/channels."""
