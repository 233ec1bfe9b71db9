"""Unit tests of the pure domain layer (bot.guidance)."""
