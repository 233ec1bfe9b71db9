"""Rasa custom actions (rasa-sdk).

Thin adapters: parse the tracker, call bot.guidance, word the reply.

The action server imports every module of this package (`--actions bot.actions`).
"""
