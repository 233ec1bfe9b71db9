"""The sentence encoder run by ONNX Runtime, its files checked and packed into the trained model.

The same all-MiniLM-L6-v2 as Rasa's LanguageModelFeaturizer would run in TensorFlow, with the
same tokenizer, the same token features and the mean-pooled sentence feature of
`mean_pooled_lm.py`; only the network's forward pass runs in ONNX Runtime, on one thread. Under
20 concurrent conversations the TensorFlow pass was more than half of the Rasa process's time
(py-spy, 2026-12-04); ONNX Runtime computes the same outputs (cosine 1.0000 on 300 training
sentences) in a fraction of the time. int8 quantisation was measured and not taken: sentence
cosines as low as 0.83 against the full-precision model.

`scripts/export-encoder` writes the ONNX graph (from the checked safetensors weights, with the
pinned tf2onnx) next to the tokenizer's files. config.yml names that directory and the SHA-256 of
every file read from it (`file_sha256`): a file that differs is refused, when training and again
whenever a trained model is loaded. Training copies the files into the trained model, so the
model is self-contained: Rasa serving it reads nothing from the virtualenv or a model hub.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext  # type: ignore[import-not-found]
from rasa.engine.recipes.default_recipe import DefaultV1Recipe  # type: ignore[import-not-found]
from rasa.engine.storage.resource import Resource  # type: ignore[import-not-found]
from rasa.engine.storage.storage import ModelStorage  # type: ignore[import-not-found]

from bot.rasa_ext.mean_pooled_lm import MeanPooledLanguageModelFeaturizer

GRAPH = "model.onnx"


class EncoderFilesRefused(ValueError):
    """An encoder file is missing, unlisted or not the pinned one."""


def check_files(directory: Path, pinned: dict[str, str]) -> None:
    """Refuse unless `directory` holds every pinned file with its pinned SHA-256."""
    if GRAPH not in pinned:
        raise EncoderFilesRefused(f"file_sha256 must pin {GRAPH}")
    for name, expected in pinned.items():
        path = directory / name
        if not path.is_file():
            raise EncoderFilesRefused(f"the encoder file {name} is missing from {directory}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != expected:
            raise EncoderFilesRefused(f"the encoder file {name} is not the pinned one ({digest})")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class OnnxSentenceEncoder(MeanPooledLanguageModelFeaturizer):
    """MeanPooledLanguageModelFeaturizer whose forward pass runs in ONNX Runtime."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **MeanPooledLanguageModelFeaturizer.get_default_config(),
            # {file name: SHA-256} of every file read from model_weights (config.yml).
            "file_sha256": {},
            # One thread per forward pass: the server answers many conversations at once.
            "threads": 1,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["transformers", "onnxruntime"]

    def __init__(self, config: dict[str, Any], execution_context: ExecutionContext) -> None:
        check_files(Path(config["model_weights"]), config["file_sha256"])
        super().__init__(config, execution_context)
        self._model_storage: ModelStorage | None = None
        self._resource: Resource | None = None

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OnnxSentenceEncoder:
        encoder = cls(config, execution_context)
        encoder._model_storage, encoder._resource = model_storage, resource
        return encoder

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> OnnxSentenceEncoder:
        """The encoder from the files packed into the trained model (checked again)."""
        with model_storage.read_from(resource) as directory:
            # Everything is read into memory here: the directory is gone afterwards.
            return cls({**config, "model_weights": str(directory)}, execution_context)

    def train(self, training_data: Any) -> Resource:
        """Pack the checked files into the trained model; nothing is learnt."""
        assert self._model_storage is not None and self._resource is not None
        source = Path(self._config["model_weights"])
        with self._model_storage.write_to(self._resource) as directory:
            for name in self._config["file_sha256"]:
                shutil.copyfile(source / name, Path(directory) / name)
        return self._resource

    def _load_model_instance(self) -> None:
        import onnxruntime  # type: ignore[import-not-found]
        from rasa.nlu.utils.hugging_face.registry import (  # type: ignore[import-not-found]
            model_tokenizer_dict,
        )

        directory = Path(self.model_weights)
        self.tokenizer = model_tokenizer_dict[self.model_name].from_pretrained(str(directory))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self._config["threads"]
        options.inter_op_num_threads = 1
        self.model = onnxruntime.InferenceSession(
            str(directory / GRAPH), options, providers=["CPUExecutionProvider"]
        )
        # As Rasa's featurizer does: the attention mask hides padding, whatever its id.
        self.pad_token_id = self.tokenizer.unk_token_id

    def _compute_batch_sequence_features(
        self, batch_attention_mask: np.ndarray, padded_token_ids: list[list[int]]
    ) -> np.ndarray:
        outputs = self.model.run(
            None,
            {
                "input_ids": np.asarray(padded_token_ids, dtype=np.int32),
                "attention_mask": np.asarray(batch_attention_mask, dtype=np.int32),
            },
        )
        return np.asarray(outputs[0])
