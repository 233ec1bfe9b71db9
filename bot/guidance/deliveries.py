"""What a patient says the imaging center sent wrong or left out ("a CD but no report", "they
emailed JPG pictures"), as the records letter's `MISSING` keys.

Pure text matching with no imports beyond the normalizer, so Rasa's question router (Python 3.10,
`bot.rasa_ext`) can use it as well as the actions.
"""

from __future__ import annotations

import re

from bot.guidance.normalize import normalize_text
from bot.guidance.questions import only_pictures

# "no report", "without the report", "forgot the report", "the report isnt on it", ...
_LEFT_OUT = (
    r"(?:no|none of|without|missing|forgot(?:ten)?|left out|didnt (?:include|send|put|give)"
    r"|but not)"
)
_NOT_THERE = (
    r"(?:missing|isnt|wasnt|arent|werent|not (?:there|included|on (?:it|the \w+))|left out"
    r"|never came)"
)
_REPORT = r"(?:the |a |my |any |radiology |written |signed )*reports?"
_EXAMS = (
    r"(?:scans?|studies|study|images|exams?|mris?|cts?|ones|mammograms?|mammos?|x ?rays?"
    r"|ultrasounds?|pet scans?|films?)"
)
_PRIORS = (
    r"(?:the |my |any )*(?:priors?|(?:prior|previous|older|earlier|old|comparison) "
    rf"(?:\w+ )?{_EXAMS})"
)
_MISSING_SAID = {
    "report": re.compile(
        rf"\b{_LEFT_OUT}(?: \w+){{0,4}} {_REPORT}\b|\b{_REPORT}(?: \w+){{0,3}} {_NOT_THERE}\b"
    ),
    "priors": re.compile(
        rf"\b{_LEFT_OUT}(?: \w+){{0,4}} {_PRIORS}\b|\b{_PRIORS}(?: \w+){{0,5}} {_NOT_THERE}\b"
    ),
    "fee": re.compile(r"\b(?:search|retrieval|research|locating) fees?\b"),
}
# Something came (or was offered): without it, "no report" is a request, not a wrong delivery.
_DELIVERED = re.compile(
    r"\b(?:sent|gave|given|mailed|e ?mailed|faxed|shared|provided|delivered|came|arrived|"
    r"received|got|handed|uploaded|burned|burnt|charged?|charging|want(?:ed|s)?|didnt \w+|"
    r"cd|dvd|disc|disk|usb|portal|link)\b"
)


def missing_from_delivery(text: str | None) -> tuple[str, ...]:
    """What the patient says the center sent wrong or left out, as `records_letter.MISSING`
    keys (in the letter's order); () when the message names no such thing."""
    clean = normalize_text(text)
    if not clean or not _DELIVERED.search(clean):
        return ()
    found = [key for key, pattern in _MISSING_SAID.items() if pattern.search(clean)]
    if only_pictures(text):
        found.insert(0, "dicom")
    return tuple(found)
