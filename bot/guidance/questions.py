"""Questions patients ask where the bot expects an answer, and what to reply to them.

Inside a form, "do I need a referral for this?" is not a bad answer to "has your doctor asked for
a second opinion?": it is a question, and it gets a short reply (a domain response named here),
then the form asks its question again. `question_reply` picks the reply from the question's topic;
an unknown topic gets `GENERIC_REPLY` instead of "I couldn't read that".

Outside a form, `mentions_our_subjects` tells a message about scans, reports, images or cover
(ours, even when the NLU says out_of_scope) from an everyday request (not ours), and
`only_pictures` tells "the portal only gives me JPEGs" from a patient who has the DICOM files.
`asks_for_a_second_read` finds the question about a second read in a message that also asks
what a finding means.
"""

from __future__ import annotations

import re

from bot.guidance.normalize import normalize_text

# Words a question starts with, after fillers like "hmm", "wait", "ok so".
_FILLER = (
    r"(?:(?:hmm+|um+|uh+|wait|ok|okay|so|and|but|sorry|actually|oh|hold on|hang on|"
    r"quick question|also|btw|before i (?:answer|give that|do))\s+)*"
)
_QUESTION_START = re.compile(
    r"^" + _FILLER + r"(?:is|are|am|was|were|do|does|did|can|could|will|would|should|shall|may|"
    r"might|has|have|what(?! an? )|whats|how|hows|who|whos|whom|whose|which|when|where|why|"
    r"wheres)\b"
)
# A leading answer word makes it an answer that goes on asking ("yes, but do I need...?").
_LEADING_ANSWER = re.compile(
    r"^(?:yes|yeah|yep|yup|no|nope|nah|not sure|not yet|i dont know|dont know|idk|maybe)\b"
)

GENERIC_REPLY = "utter_question_later"

# (topic's response, pattern over the normalized text); the first match wins.
_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "utter_privacy",
        re.compile(
            r"\bwho (?:\w+ ){0,3}(?:see|sees|seeing|look at|looks at|read|reads|access|view|"
            r"store|stores|keep|keeps)\b|\b(?:privacy|private|confidential|hipaa compliant)\b|"
            r"\b(?:share|sell|shared|sold) (?:my|our|his|her|the) (?:data|details|info|"
            r"information|name)\b|\bwhat (?:will |do )?you do with (?:my|our|his|her|the|this)\b|"
            r"\b(?:my|our|his|her|the) (?:data|personal details|personal info\w*)\b"
        ),
    ),
    ("utter_referral_note", re.compile(r"\breferr\w*|\bprior auth\w*|\bpre ?auth\w*")),
    (
        "utter_records_brief",
        re.compile(
            r"\b(?:report|images?|scans?|files?|cd|cds|disc|disk|dvd|dicom|jpe?gs?|pictures?|"
            r"portal|pacs|copies|copy|records|priors?|films?)\b"
        ),
    ),
    (
        "utter_cost_note",
        re.compile(
            r"\b(?:cost|costs|pay|paying|paid|price|fee|fees|cover|covers|covered|coverage|"
            r"afford|expensive|cheap|bill|billed|charge|charged|out of pocket|deductible)\b"
        ),
    ),
    (
        "utter_form_help",
        re.compile(
            r"^(?:why\b|what for\b)|\bwhy (?:do|does|would) you (?:need|ask|want)\b|"
            r"\bwhat do you mean\b|^(?:\w+ )*?whats (?:a|an)\b"
        ),
    ),
)

# "ours": scans, reports, images, readers and cover; a message naming them is never refused.
_OUR_SUBJECTS = re.compile(
    r"\b(?:scans?|scanned|mri|mris|ct|cts|cat scan|pet|x ?rays?|xrays?|ultrasounds?|sonogram|"
    r"mammo\w*|imaging|images?|radiolog\w*|report|reports|dicom|pacs|cd|disc|films?|"
    r"second (?:opinion|read|look)|re ?read|insurance|insurer|medicare|medicaid|copay|"
    r"findings?|nodule|lesion|biopsy)\b"
)

_PICTURES = re.compile(
    r"\b(?:jpe?gs?|pngs?|screenshots?|screen shots?|(?:photos?|pictures?) of (?:the|my) "
    r"(?:screen|scans?|images?|mri|ct|x ?rays?)|scan pictures|pdf of the images)\b"
)
_HAS_DICOM = re.compile(
    r"\b(?:have|got|sent|uploaded|downloaded) (?:the |my |both )?(?:\w+ )?dicom\b"
)


def is_question(text: str | None) -> bool:
    """A message that asks: its last sentence ends with "?" or it starts with a question word."""
    if not text:
        return False
    if text.rstrip().endswith("?"):
        return True
    return bool(_QUESTION_START.match(normalize_text(text)))


def starts_with_answer(text: str | None) -> bool:
    """ "yes, but do I need a referral?" answers first, then asks."""
    return bool(_LEADING_ANSWER.match(normalize_text(text)))


def question_reply(text: str | None) -> str | None:
    """The response that answers a question asked instead of an answer; None if not a question."""
    if not is_question(text):
        return None
    clean = normalize_text(text)
    for response, pattern in _TOPICS:
        if pattern.search(clean):
            return response
    return GENERIC_REPLY


_SECOND_READ = re.compile(
    r"\b(?:second (?:opinion|read|reading|look)|another (?:set of eyes|pair of eyes|"
    r"radiologist|read|reading|look|opinion)|fresh (?:set of )?eyes|(?:someone|somebody|anyone) "
    r"else|(?:a |an )?(?:different|other|another) (?:radiologist|doctor|expert)|re ?read\w*)\b"
)


def asks_for_a_second_read(text: str | None) -> bool:
    """ "... is it worth getting another set of eyes on this?": the message asks about a
    second read (it may also ask what a finding means)."""
    return is_question(text) and bool(_SECOND_READ.search(normalize_text(text)))


# For messages the NLU was unsure about: which of our questions is asked, if any.
_SENTENCES = re.compile(r"[.!?;,\n]+")
_WRITE_FOR_ME = re.compile(
    r"\b(?:write|word|draft|compose|phrase|put together|prepare)\b.{0,40}"
    r"\b(?:email|e mail|letter|message|note|request|form)\b"
)
_TO_THE_CENTER = re.compile(
    r"\b(?:imaging|center|centre|hospital|clinic|radiology|records|scans?|images?|films?|"
    r"facility|place|office|department)\b"
)
_VERDICT = r"(?:cancer\w*|malignant|benign|serious|dangerous|bad|normal|a tumou?r)"
_WHAT_IT_MEANS = re.compile(
    r"\bwhat (?:is|are|does|do|was) (?:that|this|it|they|those|these)\b|"
    r"\bwhat does (?:\w+ ){1,6}mean\b|\bwhats (?:that|this|an? \w+)\b|"
    r"\bwhat (?:is|are) (?:an?|the) \w+|\bis (?:that|this|it) (?:bad|serious|dangerous|cancer|"
    r"normal|benign)\b|"
    # "is a 6mm lung nodule cancer", "could the spot on my liver be malignant", "does a 2 cm
    # cyst mean cancer": whether a finding is bad, asked about the finding itself.
    rf"\b(?:is|are|could|can|might|may|would|does|do) (?:an?|the|my|his|her|their|this|that|"
    rf"these|those) (?:\w+ ){{0,8}}(?:be |mean )?{_VERDICT}\b"
)
_FROM_A_REPORT = re.compile(
    r"\b(?:report|reports|findings?|impression|radiologist|says|said|mentions?|mentioned|"
    r"shows?|showed|noted|notes|describes?|described|scan|mri|ct|x ?ray|ultrasound|"
    r"nodules?|lesions?|mass|masses|spots?|cysts?|shadows?|lumps?|growths?|tumou?rs?)\b"
)


_WILL_IT_PAY = re.compile(
    r"\b(?:will|would|does|do|is|can|could)\b.{0,40}\b(?:pay|pays|cover|covers|covered|"
    r"reimburse\w*|paid for)\b|\bhow much\b.{0,30}\b(?:cost|pay|charge)\w*"
)
# How to get the images out of where they are ("where do I even start getting my scans out of
# the hospital's system", "how can I pull my MRI off the clinic's portal"): the records journey,
# even when the message names who reads them next ("so another radiologist can see them").
_GET_THEM_OUT = re.compile(
    r"\b(?:get|getting|obtain\w*|pull\w*|download\w*|retriev\w*|transfer\w*) (?:\w+ ){0,3}?"
    r"(?:scans?|images?|imaging|films?|records?|pictures|discs?|cds?|mri|ct|x ?rays?|studies)"
    r" (?:\w+ ){0,2}?(?:out of|from|off)\b"
)
_HOW_OR_WHERE = re.compile(
    r"\b(?:how|where|what (?:do|should|would|can) (?:i|we)|(?:the )?steps?|(?:the )?process|"
    r"start)\b"
)


def asks_how_to_get_the_images(text: str | None) -> bool:
    """The patient asks how to get their images or records out of the hospital, center or
    portal that holds them."""
    clean = normalize_text(text)
    return (
        asks_anywhere(text)
        and bool(_GET_THEM_OUT.search(clean))
        and bool(_HOW_OR_WHERE.search(clean))
    )


# Which kind of radiologist reads it: the subspecialist journey.
_WHICH_READER = re.compile(
    r"\b(?:what|which) (?:kind|type|sort) of (?:radiologist|specialist|doctor|expert)\b|"
    r"\bwho (?:should|could|can|would) (?:read|look at|review|check)\b|"
    r"\bwhich (?:radiologist|specialist|subspecialist)\b"
)
_INSURER = re.compile(r"\b(?:insurance|insurer|medicare|medicaid|health plan|my plan|hmo|ppo|"
                      r"aetna|cigna|united ?healthcare|blue cross|kaiser|tricare)\b")


# A question asked indirectly, anywhere in a sentence: "what I really want to know is whether",
# "I'm wondering if", "can you tell me whether".
_INDIRECT_QUESTION = re.compile(
    r"\b(?:(?:want|wanted|like|need|trying) to (?:know|find out|ask|understand)|"
    r"wonder(?:ing)?|(?:tell|let) me (?:whether|if|what|who|how)|not sure (?:whether|if))\b"
    r".{0,80}\b(?:whether|if|what|who|which|how|when|where|why)\b"
)


def asks_anywhere(text: str | None) -> bool:
    """Some sentence of the message asks ("...last week. how would we go about it", "what I
    want to know is whether...")."""
    if not text:
        return False
    if "?" in text or _INDIRECT_QUESTION.search(normalize_text(text)):
        return True
    parts = (normalize_text(part) for part in _SENTENCES.split(text))
    return any(_QUESTION_START.match(part) for part in parts if part)


def fallback_route(text: str | None) -> str | None:
    """What to do with a message the NLU was unsure about that still asks one of our questions:
    "letter_form" (write to the imaging center for me), "insurance_form" (will my insurer
    pay), "subspecialist_form" (which kind of radiologist should read it), "worthwhile_form"
    (is a second read worth it / how do we get one), "utter_disclaimer" (what does this finding
    mean), or None."""
    if not asks_anywhere(text) and not _WRITE_FOR_ME.search(normalize_text(text)):
        return None
    clean = normalize_text(text)
    if _WRITE_FOR_ME.search(clean) and _TO_THE_CENTER.search(clean):
        return "letter_form"
    if _WILL_IT_PAY.search(clean) and _INSURER.search(clean):
        return "insurance_form"
    if _WHICH_READER.search(clean):
        return "subspecialist_form"
    if _SECOND_READ.search(clean):
        return "worthwhile_form"
    if _WHAT_IT_MEANS.search(clean) and _FROM_A_REPORT.search(clean):
        return "utter_disclaimer"
    return None


# "which form is that", "what paperwork do they mean": the center's own request form.
_WHICH_FORM = re.compile(
    r"\b(?:which|what) (?:\w+ )?(?:form|forms|paperwork|papers|document|documents)\b|"
    r"\b(?:form|paperwork) (?:is|are) (?:that|this|it|they)\b"
)


def asks_which_form(text: str | None) -> bool:
    """The patient asks which form or paperwork the center wants before it releases anything."""
    return bool(_WHICH_FORM.search(normalize_text(text)))


def mentions_our_subjects(text: str | None) -> bool:
    """The message names something SecondRead is about (a scan, a report, a second read...)."""
    return bool(_OUR_SUBJECTS.search(normalize_text(text)))


def only_pictures(text: str | None) -> bool:
    """The patient has (or is offered) only pictures of the images: JPEGs, screenshots, photos."""
    clean = normalize_text(text)
    return bool(_PICTURES.search(clean)) and not _HAS_DICOM.search(clean)
