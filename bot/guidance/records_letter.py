"""The patient's written request for their imaging records, and the third-party authorization.

Pure: from what the conversation (or the case) holds to a `Letter` (a title, paragraphs,
signature lines), worded from the checked facts in the domain notes:

- the access request under the HIPAA right of access (45 CFR 164.524): the provider acts within
  30 days (one 30-day extension, in writing), charges only a reasonable cost-based fee and no
  search or retrieval fee; it asks for the complete DICOM images (not JPEG or PDF screenshots),
  the signed radiology report and prior comparison studies of the same body part;
- the authorization for a third party (45 CFR 164.508(c)): what is disclosed, by whom, to whom,
  why, until when, the signature and date (and a representative's authority), and the
  statements on revoking, on treatment not being conditioned on signing, and on redisclosure;
- the short note to send when what arrived is wrong (JPEGs, no report, no priors, a fee).

A field the patient did not give is left as a blank line to fill in by hand, never "None".
The PDF and plain-text renderings live in bot/letters/.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from bot.guidance.normalize import normalize_text

BLANK = "_______________________"

DELIVERY = {
    "portal": "as an electronic copy through the patient portal or an image-sharing download link",
    "cd": "on a CD or DVD",
    "usb": "on a USB drive",
    "service": "directly to the second-opinion service reviewing my images",
}
WHAT_TO_SEND = (
    "the complete images in DICOM format (the original files, not JPEG or PDF screenshots)",
    "the signed radiology report for each study",
    "prior comparison studies of the same body part, with their reports",
)
_DELIVERY_WORDS = (
    ("service", r"\b(?:to you|to the (?:second opinion|service|radiologist)|send it to|"
     r"directly)\b"),
    ("usb", r"\b(?:usb|thumb ?drive|flash ?drive|memory stick)\b"),
    ("cd", r"\b(?:cd|cds|dvd|disc|disk)\b"),
    ("portal", r"\b(?:portal|link|download|online|email|electronic)\b"),
)


def parse_delivery(text: str | None) -> str | None:
    """ "on a CD please" -> "cd"; "a download link" -> "portal"; None when it names no way."""
    clean = normalize_text(text)
    button = re.search(r"\bletter delivery (portal|cd|usb|service)\b", clean)  # the buttons
    if button:
        return button.group(1)
    return next((key for key, pattern in _DELIVERY_WORDS if re.search(pattern, clean)), None)


MISSING = {
    "dicom": "the complete images in DICOM format: what I received are pictures (JPEG, PNG or "
    "PDF screenshots), which a radiologist cannot use for a second read",
    "report": "the signed radiology report",
    "priors": "the prior comparison studies of the same body part, with their reports",
    "fee": "a corrected invoice: the HIPAA right of access allows only a reasonable, cost-based "
    "fee (labour for copying, media, postage) and no search or retrieval fee",
}


@dataclass(frozen=True)
class LetterFields:
    patient_name: str = ""
    date_of_birth: date | None = None
    contact: str = ""  # email or phone, as the patient gave it
    patient_address: str = ""
    center_name: str = ""
    center_address: str = ""
    exam: str = ""  # "MRI of the brain"
    exam_dates: tuple[date, ...] = ()
    medical_record_number: str = ""
    delivery: str = "portal"  # a key of DELIVERY
    recipient_name: str = ""  # the third party (second-opinion radiologist or program)
    recipient_address: str = ""
    expires: date | None = None  # the authorization's end date


@dataclass(frozen=True)
class Letter:
    title: str
    date_line: str
    addressee: tuple[str, ...]
    paragraphs: tuple[str, ...]
    items: tuple[str, ...]
    closing: tuple[str, ...]
    signature_lines: tuple[str, ...] = field(default=())


def _or_blank(value: str) -> str:
    return value.strip() or BLANK


def _day(value: date | None) -> str:
    return value.strftime("%B %-d, %Y") if value else BLANK


def _dates(values: Iterable[date]) -> str:
    listed = [_day(d) for d in values]
    return ", ".join(listed) if listed else f"{BLANK} (date or dates of the exam)"


def _identity(fields: LetterFields) -> list[str]:
    lines = [
        f"Patient: {_or_blank(fields.patient_name)}",
        f"Date of birth: {_day(fields.date_of_birth)}",
    ]
    if fields.medical_record_number:
        lines.append(f"Medical record number: {fields.medical_record_number}")
    lines.append(f"Contact: {_or_blank(fields.contact)}")
    return lines


def _addressee(fields: LetterFields) -> tuple[str, ...]:
    lines = ["Health Information Management / Medical Records", _or_blank(fields.center_name)]
    if fields.center_address:
        lines.append(fields.center_address)
    return tuple(lines)


def _signature(representative: bool) -> tuple[str, ...]:
    lines = [f"Signature: {BLANK}", f"Date: {BLANK}", f"Printed name: {BLANK}"]
    if representative:
        lines.append(
            f"If signed by a personal representative, their authority (e.g. parent, legal "
            f"guardian, health care power of attorney): {BLANK}"
        )
    return tuple(lines)


def _delivery_sentence(fields: LetterFields, delivery: str) -> str:
    if fields.delivery != "service" or not fields.recipient_name:
        return f"Please provide these {delivery}."
    where = ", ".join(p for p in (fields.recipient_name, fields.recipient_address) if p)
    return f"Please send these directly to {where}, which is reviewing my images for a second " \
        "opinion."


def access_request(fields: LetterFields, today: date) -> Letter:
    """The patient's own request for copies (the patient rate and the 30-day rule apply)."""
    delivery = DELIVERY.get(fields.delivery, DELIVERY["portal"])
    exam = _or_blank(fields.exam)
    paragraphs = (
        "To whom it may concern,",
        "Under my HIPAA right of access (45 CFR 164.524), I request copies of my imaging "
        f"records from your facility for the following exam: {exam}, performed on "
        f"{_dates(fields.exam_dates)}.",
        "\n".join(_identity(fields)),
        "Please include:",
    )
    closing = (
        _delivery_sentence(fields, delivery),
        "The law requires you to act on this request within 30 days of receiving it (one "
        "30-day extension is allowed if you tell me the reason in writing). You may charge "
        "only a reasonable, cost-based fee for copying labour, media and postage, and no "
        "search or retrieval fee. If there is a fee, please tell me the amount before you "
        "send the copies.",
        "If any part of this request cannot be met (for example, if the images are no longer "
        "held), please tell me in writing which part and why.",
        "Thank you.",
    )
    return Letter(
        title="Request for copies of my imaging records",
        date_line=_day(today),
        addressee=_addressee(fields),
        paragraphs=paragraphs,
        items=WHAT_TO_SEND,
        closing=closing,
        signature_lines=_signature(representative=True),
    )


def third_party_authorization(fields: LetterFields, today: date) -> Letter:
    """A HIPAA authorization letting the center send the records to the second-opinion
    reader, with every element 45 CFR 164.508(c) requires."""
    recipient = _or_blank(fields.recipient_name)
    if fields.recipient_address:
        recipient += f", {fields.recipient_address}"
    expires = _day(fields.expires) if fields.expires else (
        "one year from the date signed, or when the second opinion is complete, whichever "
        "comes first"
    )
    paragraphs = (
        "\n".join(_identity(fields)),
        f"1. Information to be disclosed: the imaging records of this exam: "
        f"{_or_blank(fields.exam)}, performed on {_dates(fields.exam_dates)}, namely:",
    )
    closing = (
        f"2. Who may disclose it: {_or_blank(fields.center_name)}"
        + (f", {fields.center_address}" if fields.center_address else "") + ".",
        f"3. Who may receive it: {recipient}.",
        "4. Purpose: a second opinion (a second reading of the images) at my request.",
        f"5. This authorization expires: {expires}.",
        "6. I may revoke this authorization at any time by writing to the facility named in "
        "item 2, except where it has already acted on it.",
        "7. My treatment, payment, enrollment or eligibility for benefits is not conditioned "
        "on my signing this authorization.",
        "8. Information disclosed under this authorization may be redisclosed by the recipient "
        "and may then no longer be protected by the federal privacy rule.",
        "I have a right to a copy of this signed authorization.",
    )
    return Letter(
        title="Authorization to disclose imaging records (HIPAA, 45 CFR 164.508)",
        date_line=_day(today),
        addressee=_addressee(fields),
        paragraphs=paragraphs,
        items=WHAT_TO_SEND,
        closing=closing,
        signature_lines=_signature(representative=True),
    )


def wrong_delivery_note(fields: LetterFields, missing: Iterable[str], today: date) -> Letter:
    """A short follow-up naming exactly what is missing from what the center sent."""
    wanted = tuple(MISSING[key] for key in dict.fromkeys(missing) if key in MISSING)
    paragraphs = (
        "To whom it may concern,",
        f"Thank you for the copies of my imaging records ({_or_blank(fields.exam)}, "
        f"{_dates(fields.exam_dates)}). What I received is incomplete. Under my HIPAA right of "
        "access (45 CFR 164.524), please send:",
    )
    return Letter(
        title="Follow-up: my imaging records are incomplete",
        date_line=_day(today),
        addressee=_addressee(fields),
        paragraphs=(*paragraphs[:1], "\n".join(_identity(fields)), *paragraphs[1:]),
        items=wanted,
        closing=(
            f"Please provide these {DELIVERY.get(fields.delivery, DELIVERY['portal'])}.",
            "Thank you.",
        ),
        signature_lines=_signature(representative=False),
    )


def plain_text(letter: Letter) -> str:
    """The letter as text to paste into a portal message or an email."""
    blocks = [
        letter.title.upper(),
        letter.date_line,
        "\n".join(letter.addressee),
        *letter.paragraphs,
        "\n".join(f"- {item}" for item in letter.items),
        *letter.closing,
        "\n".join(letter.signature_lines),
    ]
    return "\n\n".join(b for b in blocks if b) + "\n"
