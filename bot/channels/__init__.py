"""Rasa input channels of our own. They run inside the Rasa server (Python 3.10)."""
