"""The NLU's inputs: training data rules and the pinned sentence encoder.

Runs on Python 3.11 without Rasa: the YAML is read directly, the check script is run as CI runs it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import yaml

from tests.needs import need

ROOT = Path(__file__).resolve().parents[2]
ENTITY = re.compile(r"\[([^\]]+)\]\([a-z_]+\)")


def _examples() -> dict[str, list[str]]:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            if "intent" in block:
                for line in block["examples"].splitlines():
                    text = ENTITY.sub(r"\1", line.strip().removeprefix("- "))
                    if text:
                        by_intent[block["intent"]].append(text.lower())
    return by_intent


def test_every_intent_has_enough_examples() -> None:
    counts = {intent: len(texts) for intent, texts in _examples().items()}
    assert len(counts) >= 25
    assert min(counts.values()) >= 25, sorted(counts.items(), key=lambda kv: kv[1])[:3]


def test_no_text_is_taught_as_two_intents() -> None:
    # `rasa data validate` compares texts as written; the featurizers lowercase, so "Hi" under
    # one intent and "hi" under another still teach the classifier a contradiction.
    seen: dict[str, set[str]] = defaultdict(set)
    for intent, texts in _examples().items():
        for text in texts:
            seen[text].add(intent)
    assert {text: labels for text, labels in seen.items() if len(labels) > 1} == {}


# all-MiniLM-L6-v2 in ONNX Runtime, with the sentence feature the model was trained for.
ENCODER = "bot.rasa_ext.onnx_encoder.OnnxSentenceEncoder"
CHECK_SCRIPT = ROOT / "scripts/check-lm-weights"


def _official_sums() -> dict[str, str]:
    """{file name: SHA-256} of the official release, as scripts/check-lm-weights holds them."""
    sums = re.findall(r"^([0-9a-f]{64})  \$dir/(\S+)$", CHECK_SCRIPT.read_text(), re.MULTILINE)
    return {name: digest for digest, name in sums}


def test_pipeline_pins_every_file_the_encoder_reads() -> None:
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    assert [c["name"] for c in pipeline].count(ENCODER) == 1
    pinned = next(c for c in pipeline if c["name"] == ENCODER)["file_sha256"]
    # The graph and every file Rasa's BERT tokenizer reads.
    assert set(pinned) == {
        "model.onnx", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "config.json"
    }
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in pinned.values())
    official = _official_sums()
    assert {"vocab.txt", "config.json", "model.safetensors"} <= set(official)
    for name in ("vocab.txt", "config.json"):
        assert pinned[name] == official[name], name
    # The graph is exported from the weights the check script verifies.
    export = (ROOT / "scripts/export-encoder").read_text()
    default_dir = re.search(r"dir=\$\{1:-([^}]+)\}", CHECK_SCRIPT.read_text())
    assert default_dir and f'ROOT / "{default_dir.group(1)}"' in export
    assert "HF_HUB_OFFLINE=1" in (ROOT / "scripts/env.sh").read_text()


def _source_dir() -> Path:
    default_dir = re.search(r"dir=\$\{1:-([^}]+)\}", CHECK_SCRIPT.read_text())
    assert default_dir
    return ROOT / default_dir.group(1)


LM_DIR = _source_dir()


def test_check_script_accepts_the_official_weights_and_refuses_altered_ones(tmp_path: Path) -> None:
    need(LM_DIR.is_dir(), "the Rasa environment's sentence encoder")
    script = str(ROOT / "scripts/check-lm-weights")
    assert subprocess.run([script], capture_output=True).returncode == 0

    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("model.safetensors", "vocab.txt", "config.json", "tokenizer.json"):
        (copy / name).symlink_to(LM_DIR / name)
    assert subprocess.run([script, str(copy)], capture_output=True).returncode == 0

    (copy / "vocab.txt").unlink()
    shutil.copy(LM_DIR / "vocab.txt", copy / "vocab.txt")
    with (copy / "vocab.txt").open("a") as f:
        f.write("[EXTRA]\n")
    refused = subprocess.run([script, str(copy)], capture_output=True, text=True)
    assert refused.returncode == 1
    assert "not the official release" in refused.stderr
