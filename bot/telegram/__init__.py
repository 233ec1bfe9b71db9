"""Telegram bridge: python-telegram-bot in front of Rasa's REST channel (`python -m bot.telegram`).

Rasa's own Telegram channel drops documents and photos and needs a public HTTPS webhook; this
bridge handles files and also runs behind a firewall (long polling). It never imports bot.web.
"""
