"""Telling a patient something outside a reply: shared by the web app, the Telegram bridge and
the staff console (adapters never import each other, so this lives one floor down)."""
