"""The configuration the encoder is measured against stays config.yml minus the encoder, so
the figures in the README compare exactly one change."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_no_encoder_config_is_config_yml_without_the_encoder() -> None:
    ours = yaml.safe_load((ROOT / "config.yml").read_text())
    candidate = yaml.safe_load((ROOT / "bench/configs/no-encoder.yml").read_text())
    encoder = "bot.rasa_ext.onnx_encoder.OnnxSentenceEncoder"
    assert encoder in [step["name"] for step in ours["pipeline"]]
    ours["pipeline"] = [s for s in ours["pipeline"] if s["name"] != encoder]
    assert candidate == ours


def test_tensorflow_encoder_config_differs_from_config_yml_in_the_encoder_only() -> None:
    ours = yaml.safe_load((ROOT / "config.yml").read_text())
    candidate = yaml.safe_load((ROOT / "bench/configs/tensorflow-encoder.yml").read_text())
    names = [step["name"] for step in ours["pipeline"]]
    at = names.index("bot.rasa_ext.onnx_encoder.OnnxSentenceEncoder")
    tensorflow = candidate["pipeline"][at]
    assert tensorflow["name"] == "bot.rasa_ext.mean_pooled_lm.MeanPooledLanguageModelFeaturizer"
    ours["pipeline"][at] = tensorflow
    assert candidate == ours
