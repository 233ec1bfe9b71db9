"""The widget's files, the demo page and the widget's pure helpers (run in node)."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.guidance.red_flags import EMERGENCY_OPENINGS, emergency_guidance
from bot.notify.takeover import BACK_LINE, joined_line, staff_message
from bot.web.app import create_app
from tests.needs import need

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "bot" / "web" / "static"


@pytest.fixture(scope="module")
def client() -> TestClient:
    settings = Settings.from_env(
        {"RASA_URL": "http://127.0.0.1:5999", "PUBLIC_URL": "https://chat.example.org"}
    )
    return TestClient(create_app(settings))


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/widget.js", "text/javascript"),
        ("/widget.css", "text/css"),
        ("/static/socket.io.min.js", "javascript"),
        ("/static/demo.css", "text/css"),
    ],
)
def test_assets_are_served_with_their_content_type(
    client: TestClient, path: str, content_type: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert content_type in response.headers["content-type"]
    assert len(response.content) > 500


def test_demo_page_embeds_the_widget_under_a_strict_csp(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert re.search(
        r'<script src="/widget\.js" data-title="[^"]+" data-color="#[0-9a-f]{6}"', page.text
    )
    assert "https://chat.example.org/widget.js" in page.text  # the embedding snippet
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "connect-src 'self' http://127.0.0.1:5999 ws://127.0.0.1:5999" in csp
    # Nothing on the page that such a policy would block.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", page.text)


def test_widget_code_needs_no_eval_or_inline_handlers() -> None:
    source = (STATIC / "widget.js").read_text()
    assert not re.search(r"\beval\(|new Function|setTimeout\(\s*['\"]|\.on[a-z]+\s*=", source)
    assert not re.search(r"setAttribute\(\s*['\"](?:style|on)", source)
    # Exactly one innerHTML, fed by the escaping renderer.
    assert re.findall(r"innerHTML\s*=\s*(\w+)", source) == ["renderMarkup"]


def test_vendored_socketio_client_matches_the_locked_npm_package() -> None:
    package = ROOT / "node_modules" / "socket.io-client"
    need(package.exists(), "the npm packages (node_modules)")
    lock = json.loads((ROOT / "package-lock.json").read_text())
    version = lock["packages"]["node_modules/socket.io-client"]["version"]
    vendored = (STATIC / "socket.io.min.js").read_bytes()
    assert vendored == (package / "dist" / "socket.io.min.js").read_bytes()
    assert f"Socket.IO v{version}".encode() in vendored[:200]


NODE_CHECKS = r"""
const w = require(process.argv[1]);
const out = {
  tags: w.renderMarkup('<img src=x onerror="alert(1)"> & <script>x</script>'),
  markup: w.renderMarkup("**Bold** and *italic*\nline two\n- one\n- two\n1. first"),
  link: w.renderMarkup("See [the form](https://example.org/a?b=1&c=2) or https://x.org/p."),
  badLinks: w.renderMarkup('[x](javascript:alert(1)) [y](data:text/html,hi) "https://a.b/"'),
  quoteInUrl: w.renderMarkup('https://a.org/x"onmouseover="alert(1)'),
  snake: w.renderMarkup("exam_type_value"),
  contrasts: ["#0b5cad", "#ffcc00", "#00ff00", "#777777", "#fff", "#000", "nonsense"].map(c => {
    const p = w.palette(c);
    const rgb = h => w.parseColor(h);
    return [w.contrastRatio(rgb(p.brand), rgb(p.onBrand)),
            w.contrastRatio(rgb(p.ink), [255, 255, 255])];
  }),
  size: [w.formatSize(512), w.formatSize(3500000), w.formatSize(2 * 1024 ** 3)],
  fmt: w.fmt(w.STRINGS.tooLarge, {size: "3 GB", limit: "2 GB"}),
  openings: w.ALERT_OPENINGS,
  alerts: [process.argv[2], "Thanks. Please call 911 if it gets worse.", ""].map(w.isAlert),
  takeover: [process.argv[3], process.argv[4], process.argv[5],
             "Our support team: call us on Monday."].map(w.takeoverLine),
};
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def js() -> dict[str, object]:
    node = shutil.which("node")
    need(node is not None, "node")
    assert node is not None
    result = subprocess.run(
        [node, "-e", NODE_CHECKS, str(STATIC / "widget.js"), emergency_guidance(["stroke"]),
         joined_line("Ada"), BACK_LINE, staff_message("Ada", "Hello, I can look at your CD.")],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return dict(json.loads(result.stdout))


def test_bot_text_is_escaped(js: dict[str, object]) -> None:
    assert js["tags"] == (
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &lt;script&gt;x&lt;/script&gt;"
    )


def test_simple_formatting(js: dict[str, object]) -> None:
    assert js["markup"] == (
        "<strong>Bold</strong> and <em>italic</em><br>line two"
        "<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>"
    )
    assert js["snake"] == "exam_type_value"


def test_links_open_safely_and_only_for_safe_schemes(js: dict[str, object]) -> None:
    assert js["link"] == (
        'See <a href="https://example.org/a?b=1&amp;c=2" target="_blank" '
        'rel="noopener noreferrer">the form</a> or <a href="https://x.org/p" target="_blank" '
        'rel="noopener noreferrer">https://x.org/p</a>.'
    )
    bad = str(js["badLinks"])
    assert "<a " not in bad.split("&quot;")[0]  # no javascript: or data: link
    assert bad.count("<a ") == 1 and 'href="https://a.b/"' in bad
    assert 'onmouseover="' not in str(js["quoteInUrl"])


def test_brand_colours_get_readable_text(js: dict[str, object]) -> None:
    for on_brand, ink in js["contrasts"]:  # type: ignore[attr-defined]
        assert on_brand >= 4.5
        assert ink >= 4.5


def test_sizes_and_strings(js: dict[str, object]) -> None:
    assert js["size"] == ["512 bytes", "3.3 MB", "2.0 GB"]
    assert js["fmt"].startswith("These files are 3 GB in total; you can send up to 2 GB")  # type: ignore[union-attr]


def test_emergency_replies_are_recognised_as_alerts(js: dict[str, object]) -> None:
    # The widget knows how every emergency reply starts, exactly as the bot words it.
    assert tuple(js["openings"]) == EMERGENCY_OPENINGS  # type: ignore[arg-type]
    assert js["alerts"] == [True, False, False]


def test_the_take_over_lines_are_recognised_as_the_console_words_them(
    js: dict[str, object]
) -> None:
    assert js["takeover"] == ["joined", "back", "staff", None]


def test_vendored_tus_client_matches_the_locked_npm_package() -> None:
    package = ROOT / "node_modules" / "tus-js-client"
    need(package.exists(), "the npm packages (node_modules)")
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/tus-js-client"]["version"] == "4.3.1"
    assert (STATIC / "tus.min.js").read_bytes() == (package / "dist" / "tus.min.js").read_bytes()


RESUMABLE_CHECKS = r"""
const r = require(process.argv[1]);
const f = (path, size, when) => ({path, file: {size, lastModified: when}});
console.log(JSON.stringify({
  same: r.selectionKey([f("CD/IM1", 10, 1), f("CD/IM2", 20, 1)]) ===
        r.selectionKey([f("CD/IM1", 10, 1), f("CD/IM2", 20, 1)]),
  otherSize: r.selectionKey([f("CD/IM1", 10, 1)]) === r.selectionKey([f("CD/IM1", 11, 1)]),
  otherDate: r.selectionKey([f("CD/IM1", 10, 1)]) === r.selectionKey([f("CD/IM1", 10, 2)]),
  otherOrder: r.selectionKey([f("a", 1, 1), f("b", 1, 1)]) ===
              r.selectionKey([f("b", 1, 1), f("a", 1, 1)]),
  left: [r.secondsLeft(0, 100, 5000), r.secondsLeft(10, 100, 1000),
         r.secondsLeft(25, 100, 5000), r.secondsLeft(100, 100, 5000)],
  chunk: r.CHUNK_SIZE, parallel: r.PARALLEL, retries: r.RETRY_DELAYS,
}));
"""


def test_resumable_selection_names_and_time_left() -> None:
    node = shutil.which("node")
    need(node is not None, "node")
    assert node is not None
    result = subprocess.run(
        [node, "-e", RESUMABLE_CHECKS, str(STATIC / "resumable.js")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    out = json.loads(result.stdout)
    # The same files are the same upload after a reload; any other file is not.
    assert out["same"] is True
    assert (out["otherSize"], out["otherDate"], out["otherOrder"]) == (False, False, False)
    # No estimate without progress or before 2 s; 25 bytes in 5 s leaves 75 bytes: 15 s.
    assert out["left"] == [None, None, 15, None]
    assert (out["chunk"], out["parallel"]) == (8 * 1024 * 1024, 3)
    # Retried with backoff: at once (a cut connection is usually back), then longer each time.
    delays = out["retries"]
    assert delays[0] == 0 and len(delays) >= 4
    assert all(later > earlier for earlier, later in itertools.pairwise(delays))
