"""The graph component that lets a question at the end of a statement start its journey.

It imports Rasa, which only the Rasa environment (.venv-rasa, Python 3.10) has, so the checks
run there in a subprocess; the held-out conversations exercise it through the real stack.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.needs import need

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

CHECKS = r"""
from rasa.shared.nlu.training_data.message import Message
from bot.rasa_ext.question_router import QuestionRouter, route

def parsed(text, intent, confidence=0.9):
    message = Message(data={"text": text})
    message.data["intent"] = {"name": intent, "confidence": confidence}
    message.data["intent_ranking"] = [{"name": intent, "confidence": confidence}]
    return message

component = QuestionRouter.create({}, None, None, None)
cases = [
    # (text, the NLU's intent, the intent after the router)
    ("my uncle had an MRI of his spine in June. how do we get a second opinion on it",
     "inform", "ask_worthwhile"),
    ("my plan is a Medicare Advantage HMO and the surgeon wants another read, will Medicare "
     "cover that?", "inform", "ask_insurance"),
    ("could you draft a message to the clinic's records office for my x-rays", "records_delay",
     "request_letter"),
    ("the ultrasound report says there is a hemangioma. what is that?", "nlu_fallback",
     "ask_diagnosis"),
    # Statements, other intents, emergencies and buttons are left alone.
    ("my uncle had an MRI of his spine in June", "inform", "inform"),
    ("is a second opinion worth it for my MRI?", "ask_worthwhile", "ask_worthwhile"),
    # ...unless the question asked is whether the insurer pays.
    ("two doctors read my back MRI differently for weeks now. what I want to find out is if "
     "aetna would pay for another radiologist", "ask_worthwhile", "ask_insurance"),
    ("is a second read worth it for my CT, it was on my insurance", "ask_worthwhile",
     "ask_worthwhile"),
    ("my oncologist wants a chest radiologist to look at the PET again. does united healthcare "
     "pay for that?", "find_subspecialist", "ask_insurance"),
    ("which radiologist should read my kid's hip ultrasound", "find_subspecialist",
     "find_subspecialist"),
    ("he can't move his left arm since an hour ago, should someone else read the CT?",
     "red_flag", "red_flag"),
    ('/inform{"plan_type":"medicare"}', "inform", "inform"),
    ("will my insurance pay for a second read?", "ask_insurance", "ask_insurance"),
    # A records question stays one, even when it names another doctor.
    ("which files must I ask the hospital for so a different radiologist can read them",
     "request_records", "request_records"),
    # How to get the images out of where they are is a records question, whoever reads them.
    ("where do I even begin pulling my x-rays off the clinic's portal so another doctor can "
     "review them", "ask_worthwhile", "request_records"),
    ("how would we get his scans out of the hospital for a different radiologist?",
     "find_subspecialist", "request_records"),
    ("how do i get my mri images from the imaging center", "inform", "request_records"),
    ("should we get his scans from the hospital looked at by another radiologist?",
     "ask_worthwhile", "ask_worthwhile"),
    ("it's been 5 weeks, how do i get my images out of them", "records_delay", "records_delay"),
    # ...but a second-read question that says nothing about records is not a records question.
    ("the urgent care doc barely glanced at my knee xray before sending me home. could another "
     "radiologist look at it?", "records_delay", "ask_worthwhile"),
    ("the clinic keeps delaying my cd, can someone else read the scan once i get it?",
     "records_delay", "records_delay"),
    # A wrong delivery the NLU could not read is a records delay (its answer is the note).
    ("the hospital emailed us a bunch of jpg pictures of his brain scan. what now",
     "nlu_fallback", "records_delay"),
    ("finally got the disc, no report on it though", "out_of_scope", "records_delay"),
    ("finally got the disc, no report on it though", "inform", "inform"),
    ("i have no idea what you mean", "nlu_fallback", "nlu_fallback"),
    # Whether a finding is cancer, read as a statement.
    ("is a 6mm lung nodule cancer", "inform", "ask_diagnosis"),
    # Which kind of radiologist, at the end of a story.
    ("my son is 8 and fell off his bike, they did an xray of his elbow. what kind of radiologist "
     "should look at it?", "out_of_scope", "find_subspecialist"),
]
messages = [parsed(text, intent) for text, intent, _ in cases]
component.process(messages)
for message, (text, _, expected) in zip(messages, cases):
    assert message.data["intent"]["name"] == expected, (text, message.data["intent"])
routed = messages[0].data
assert routed["intent"] == {"name": "ask_worthwhile", "confidence": 1.0}
assert [r["name"] for r in routed["intent_ranking"]] == ["ask_worthwhile", "inform"]
assert route({}, "") is False and route({}, None) is False
print("ok")
"""


def test_a_question_in_a_statement_starts_its_journey() -> None:
    need(RASA_PYTHON.exists(), "the Rasa environment (.venv-rasa)")
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", CHECKS], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]
