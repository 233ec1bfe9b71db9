"""Staff accounts, sign-in sessions, login throttling, the audit trail and conversation reviews
for the console (bot.web.console is the HTTP adapter on top)."""
