"""Two reports pasted into a conversation through the real servers: the form takes them, the
chat gets the differences, the links open the full table and the printable sheet (rendered to
PNG), and only for this conversation."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
import yaml
from pypdf import PdfReader

from bot.reports.summary import PROMPTLY
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration
PAIR = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "13-mammogram-side.yml")
    .read_text()
)


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_paste_two_reports_then_table_and_sheet(stack: Stack, tmp_path: Path) -> None:
    me = f"it-{uuid.uuid4().hex[:12]}"
    assert "Put my two reports side by side" in str(stack.say(me, "/reports_disagree"))
    assert "Paste the text of the first report" in texts(stack.say(me, "/compare_reports"))
    assert "I read the first report (A)" in texts(stack.say(me, PAIR["a"]))
    answer = texts(stack.say(me, PAIR["b"]))
    assert "Where the reports differ" in answer and "different side" in answer
    assert "third radiologist" in answer  # a side difference may change care

    page_link = re.search(r"(https?://\S+/reports/comparison\?token=[\w.-]+)", answer)
    sheet_link = re.search(r"(https?://\S+/reports/comparison\.pdf\?token=[\w.-]+)", answer)
    assert page_link and sheet_link
    # The links point at the public web app; here it is the stack's own.
    local = re.sub(r"^https?://[^/]+", stack.web_url, page_link.group(1))
    page = httpx.get(local, timeout=30)
    assert page.status_code == 200 and "Where they differ" in page.text
    assert "None" not in page.text
    sheet = httpx.get(re.sub(r"^https?://[^/]+", stack.web_url, sheet_link.group(1)), timeout=30)
    assert sheet.status_code == 200
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(sheet.content)
    assert 1 <= len(PdfReader(pdf).pages) <= 2
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils is installed by `make deps` (pdftoppm)"
    subprocess.run([pdftoppm, "-r", "20", "-png", str(pdf), str(tmp_path / "page")], check=True)
    assert 1 <= len(list(tmp_path.glob("page*.png"))) <= 2

    # Another conversation's token opens nothing of this one.
    other = f"it-{uuid.uuid4().hex[:12]}"
    token = stack.auth(other)["Authorization"].removeprefix("Bearer ")
    refused = httpx.get(f"{stack.web_url}/reports/comparison", params={"token": token})
    assert refused.status_code == 404


def test_a_report_with_an_urgent_category_puts_prompt_contact_first(stack: Stack) -> None:
    pair = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "11-mammogram-birads.yml")
        .read_text()
    )
    me = f"it-{uuid.uuid4().hex[:12]}"
    stack.say(me, "/compare_reports")
    stack.say(me, pair["a"])
    texts = [r["text"] for r in stack.say(me, pair["b"])]
    assert texts[0].startswith("I read the second report (B)")
    # Rasa's REST channel sends each paragraph as its own message: the prompt-contact line
    # is the comparison's first.
    assert texts[1] == PROMPTLY
    assert texts[2].startswith("Where the reports differ")
