"""Issue 14, classes 1, 2, 3 and 6 through the real stack (Rasa, action server, web app).

1. files that contradict what the patient said; 2. facts not asked again; 3. hybrid exams;
6. details given with the question fill the form.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from bot.cases.numbers import check_symbol
from tests.fixtures import dicom_factory
from tests.integration.stack import Stack
from tests.integration.test_rest_uploads import folder_files, upload

pytestmark = pytest.mark.integration

AGE_QUESTION = "Is the patient under 18?"


def new_sender() -> str:
    return f"pic-{secrets.token_hex(6)}"


def said(replies: list[dict]) -> str:
    return "\n".join(str(reply.get("text", "")) for reply in replies)


def send_files(stack: Stack, sender: str, paths: list[Path], root: Path) -> list[dict]:
    response = upload(stack, sender, folder_files(paths, root))
    assert response.status_code == 201, response.text
    ids = [item["id"] for item in response.json()["uploads"]]
    return stack.say(sender, "/upload_files", metadata={"upload_ids": ids})


def test_files_that_contradict_the_chat_are_named_and_win(stack: Stack, tmp_path: Path) -> None:
    me = new_sender()
    stack.say(me, '/inform{"exam_type":"mri","body_part":"brain"}')
    paths = dicom_factory.ct_series(
        tmp_path / "cd", slices=5, rows=16, cols=16, body_part="CHEST",
        study_description="CT CHEST WITH CONTRAST",
    )
    text = said(send_files(stack, me, paths, tmp_path))
    assert "You mentioned a brain MRI, but the files you sent are a chest CT scan." in text
    assert "Which study is the second opinion for?" in text
    assert "Going by the details stored in the files (chest CT scan)" in text
    assert "(brain MRI)" not in text
    slots = stack.tracker(me)["slots"]
    assert (slots["exam_type"], slots["body_part"]) == ("ct", "chest")


def test_a_child_stays_a_child_across_journeys_and_uploads(stack: Stack, tmp_path: Path) -> None:
    me = new_sender()
    stack.say(me, "/find_subspecialist")
    stack.say(me, "ct")
    assert AGE_QUESTION in said(stack.say(me, "her head"))
    assert "pediatric radiology" in said(stack.say(me, "she is 12"))
    paths = dicom_factory.ct_series(tmp_path / "cd", slices=5, rows=16, cols=16)
    text = said(send_files(stack, me, paths, tmp_path))
    assert "pediatric radiology" in text and "neuroradiology" not in text
    again = said(stack.say(me, "/find_subspecialist"))
    assert "pediatric radiology" in again and AGE_QUESTION not in again


def test_facts_in_the_first_message_are_not_asked_again(stack: Stack) -> None:
    me = new_sender()
    text = said(stack.say(me, "hi! my 8 year old had a brain MRI and we don't have insurance"))
    text += said(stack.say(me, "/find_subspecialist"))
    assert "pediatric radiology" in text
    for question in (AGE_QUESTION, "What kind of exam was it?", "Which part of the body"):
        assert question not in text
    insurance = said(stack.say(me, "/ask_insurance"))
    assert "What kind of health coverage" not in insurance
    assert "Without insurance, a second read is self-pay." in insurance


def test_a_pet_ct_goes_to_nuclear_radiology(stack: Stack) -> None:
    me = new_sender()
    stack.say(me, "/find_subspecialist")
    stack.say(me, "PET/CT")
    stack.say(me, "chest")
    text = said(stack.say(me, "no, im 64"))
    assert "nuclear radiology" in text
    assert stack.tracker(me)["slots"]["exam_type"] == "pet"


def test_insurance_details_in_one_message_are_not_asked_one_by_one(stack: Stack) -> None:
    me = new_sender()
    text = said(
        stack.say(
            me,
            "I have a PPO. My surgeon asked for a second opinion because surgery is scheduled "
            "for next month, and the radiologist is in network. Will insurance cover it?",
        )
    )
    if "Chance that insurance pays" not in text:
        # Read as details without a question: they are kept for when the question comes.
        text += said(stack.say(me, "/ask_insurance"))
    assert "Chance that insurance pays" in text
    for question in (
        "What kind of health coverage",
        "Has your treating doctor",
        "Is surgery or another major procedure being planned",
        "you're thinking of in your plan's network?",
    ):
        assert question not in text


def test_a_case_number_with_the_status_question_is_not_asked_again(stack: Stack) -> None:
    me = new_sender()
    number = f"SR-2026-7KQ3MX-{check_symbol('20267KQ3MX')}"
    text = said(stack.say(me, f"what's the status of my case {number}?"))
    assert "What is your case number?" not in text
    assert "date of birth" in text
    assert stack.tracker(me)["slots"]["lookup_case_number"] == number
