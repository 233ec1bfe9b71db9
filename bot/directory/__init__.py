"""Directories of radiologists outside SecondRead: the public NPPES NPI Registry.

`nppes` is the HTTP client (one module per external system, with an offline mode so the bot runs
and tests without it); `service` turns a subspecialty and the patient's ZIP code into a few
ranked provider cards, using `bot.guidance.nearby` for the ranking and wording.
"""
