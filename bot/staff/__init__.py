"""Staff accounts, sign-in sessions, login throttling, the audit trail, conversation reviews and
de-identified copies of uploads for the console (bot.web.console is the HTTP adapter on top)."""
