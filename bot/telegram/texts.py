"""What the bridge itself says (everything else comes from Rasa). Plain text; rendered later."""

from __future__ import annotations

from bot.notify.telegram.render import Button

TROUBLE = "I'm having trouble reaching the assistant right now. I'll answer as soon as I can."
GAVE_UP = (
    "I'm sorry, I still can't reach the assistant. Please send your message again in a few minutes."
)
PHOTO = (
    "Thank you! A photo of a screen or a printed film isn't enough for a second read, though: "
    "it loses detail, shows only a few of the hundreds of images in a study, and drops the "
    "information the radiologist needs (like measurements and the scanner settings). What we "
    "need are the original DICOM files, which the imaging center gives you on a CD/DVD, a USB "
    "stick or as a download from its patient portal. Send me those files (a ZIP is fine), and "
    "the written report too.\n"
    "If this is a photo of a printed report you want to compare with another one, press "
    "\"Compare two reports\" below, then send the photo again."
)
PHOTO_BUTTONS = (
    Button("How do I get my images?", payload="/request_records"),
    Button("Compare two reports", payload="/compare_reports"),
    Button("Talk to a person", payload="/human_handoff"),
)
TOO_BIG = (
    "That file is larger than 20 MB, the most Telegram lets me receive. Please upload it "
    "with this private link instead; it works once and expires in {hours} hours:\n{link}\n"
    "I'll tell you here when I've checked your files."
)
UPLOAD_FAILED = (
    "I couldn't receive your file just now. Nothing was stored; please send it again in a few "
    "minutes."
)
UNSUPPORTED = (
    "I can read text messages and files (DICOM images, a ZIP, or the PDF of your report). "
    "Please type your question or send a file."
)
PRIVATE_ONLY = (
    "To keep your health information private, I only talk in a direct chat. Please message "
    "me privately."
)
BUTTON_EXPIRED = "That button has expired. Please type your answer instead."
QUESTION_PASSED = "That question has passed, so I didn't use that answer."
QUESTION_PASSED_SEE_CURRENT = (
    "That question has passed, so I didn't use that answer. This is where we are now:"
)


def too_big(link: str, hours: int) -> str:
    return TOO_BIG.format(link=link, hours=hours)
