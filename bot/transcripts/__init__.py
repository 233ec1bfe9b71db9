"""Reading conversations for staff from Rasa's tracker store (`events` table), which Rasa
writes and our migrations never touch. (bot.conversations serves patients their own history.)"""
