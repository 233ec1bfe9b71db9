"""Conversations as people saw them, read back from Rasa (shared by the web adapters)."""
