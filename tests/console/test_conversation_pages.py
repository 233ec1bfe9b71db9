"""The conversation pages over HTTP: list with filters, transcript, review, tags, notes."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import Upload
from tests.console.conftest import csrf_of
from tests.console.rasa_events import Chat, sample_chats, store


def test_list_shows_flags_and_filters(agent: TestClient, engine: Engine) -> None:
    store(engine, *sample_chats())
    page = agent.get("/console/conversations").text
    for conversation in ("conv-plain", "conv-confused", "conv-urgent"):
        assert f'href="/console/conversations/{conversation}"' in page
    assert "red flag" in page and "handoff" in page and "low confidence" in page
    assert "chest pain" not in page  # the list shows no message text
    filtered = agent.get("/console/conversations", params={"flag": "red_flag"}).text
    assert "conv-urgent" in filtered and "conv-plain" not in filtered
    searched = agent.get("/console/conversations", params={"q": "knee thing"}).text
    assert "conv-confused" in searched and "conv-urgent" not in searched
    # Nonsense filter values are ignored rather than failing.
    odd = agent.get("/console/conversations",
                    params={"flag": "nope", "since": "yesterday", "page": "-3"})
    assert odd.status_code == 200 and "conv-plain" in odd.text


def test_paging_links_keep_the_filters(agent: TestClient, engine: Engine) -> None:
    store(engine, *[Chat(f"bulk-{n:02d}", start=1_700_000_000 + n).user("hi", "greet")
                    for n in range(30)])
    first = agent.get("/console/conversations", params={"intent": "greet"}).text
    assert "Page 1 of 2" in first and "intent=greet&amp;page=2" in first
    second = agent.get("/console/conversations", params={"intent": "greet", "page": "2"}).text
    assert "bulk-00" in second and "bulk-29" not in second


def test_transcript_page(agent: TestClient, engine: Engine) -> None:
    store(engine, *sample_chats(),
          Chat("conv-xss", start=1_772_600_000).user("<script>alert(1)</script>", "greet"))
    page = agent.get("/console/conversations/conv-plain").text
    assert "What would you like help with?" in page
    assert 'title="/ask_insurance">Insurance and cost</span>' in page  # buttons with payloads
    # The intent in plain words (its code on hover), the channel as staff know it.
    assert '<span title="intent greet">Greeting</span>' in page and "0.97" in page
    assert "Website chat" in page and "socketio" not in page.split("<main")[1].split("Slots")[0]
    confused = agent.get("/console/conversations/conv-confused").text
    assert 'class="low">0.31' in confused
    assert "<dt>handoff_requested</dt><dd>True</dd>" in confused
    escaped = agent.get("/console/conversations/conv-xss").text
    assert "<script>alert" not in escaped and "&lt;script&gt;alert(1)" in escaped
    assert agent.get("/console/conversations/nobody").status_code == 404


def test_review_tags_and_notes(agent: TestClient, engine: Engine) -> None:
    store(engine, *sample_chats())
    url = "/console/conversations/conv-urgent"
    token = csrf_of(agent, url)
    done = agent.post(f"{url}/review", data={"csrf_token": token, "status": "reviewed"})
    assert done.status_code == 303 and done.headers["location"].startswith(url)
    agent.post(f"{url}/tags", data={"csrf_token": token, "tag": "Emergency"})
    agent.post(f"{url}/notes", data={"csrf_token": token, "body": "Called 911 advice given."})
    page = agent.get(url).text
    assert 'id="review-status">reviewed' in page and "by alex" in page
    assert '<span class="flag">emergency</span>' in page
    assert "Called 911 advice given." in page
    listed = agent.get("/console/conversations", params={"review": "reviewed"}).text
    assert "conv-urgent" in listed and "conv-plain" not in listed
    assert "conv-urgent" in agent.get("/console/conversations", params={"tag": "emergency"}).text
    agent.post(f"{url}/tags/remove", data={"csrf_token": token, "tag": "emergency"})
    assert '<span class="flag">emergency</span>' not in agent.get(url).text
    bad = agent.post(f"{url}/tags", data={"csrf_token": token, "tag": "<b>"})
    assert bad.status_code == 400
    empty = agent.post(f"{url}/notes", data={"csrf_token": token, "body": "   "})
    assert empty.status_code == 400
    agent.post(f"{url}/review", data={"csrf_token": token, "status": ""})
    assert 'id="review-status">unreviewed' in agent.get(url).text


def test_a_bulleted_answer_is_shown_as_a_list_and_the_list_has_topics_and_uploads(
    agent: TestClient, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    answer = "A second read is a reasonable step.\nWhy:\n- the report is vague\n- <b>surgery</b>"
    store(engine, Chat("conv-list", "socketio", 1_772_700_000)
          .user("is it worth it", "ask_worthwhile", 0.9).bot(answer)
          .user("/upload_files", "upload_files", 1.0).bot("Thanks, checking."))
    with sessions.begin() as session:
        session.add(Upload(public_id="up_list1", conversation_id="conv-list",
                           stored_name="d-list", file_count=2, size_bytes=10, kind="files",
                           status="checked", created_at=datetime(2026, 3, 5, tzinfo=UTC)))
    page = agent.get("/console/conversations/conv-list").text
    assert ("<p>Why:</p><ul><li>the report is vague</li><li>&lt;b&gt;surgery&lt;/b&gt;</li></ul>"
            in page)
    listed = agent.get("/console/conversations").text
    row = listed.split("conv-list")[2].split("</tr>")[0]
    assert "Is a second read worth it?; Sent files" in row
    assert "<td>1</td>" in row  # one upload
