"""Rasa's LanguageModelFeaturizer with the sentence feature all-MiniLM-L6-v2 was trained for.

Rasa takes a BERT model's first token ([CLS]) as the sentence's feature. The sentence-transformers
model in config.yml was trained with mean pooling instead (its `1_Pooling/config.json`:
`pooling_mode_mean_tokens`), so its [CLS] output is not the sentence embedding it learned. This
subclass keeps Rasa's token features (without [CLS] and [SEP]) and makes the sentence feature the
mean over every token of the sentence, [CLS] and [SEP] included, as sentence-transformers
computes it (before its normalisation, which DIET does not need).
"""

from __future__ import annotations

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe  # type: ignore[import-not-found]
from rasa.nlu.featurizers.dense_featurizer.lm_featurizer import (  # type: ignore[import-not-found]
    LanguageModelFeaturizer,
)
from rasa.utils.tensorflow.model_data import (  # type: ignore[import-not-found]
    ragged_array_to_ndarray,
)


def mean_pooled(token_embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sentence feature, token features) of one sentence's non-padded BERT outputs."""
    return token_embeddings.mean(axis=0), token_embeddings[1:-1]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class MeanPooledLanguageModelFeaturizer(LanguageModelFeaturizer):  # type: ignore[misc]
    def _post_process_sequence_embeddings(
        self, sequence_embeddings: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        pooled = [mean_pooled(np.asarray(example)) for example in sequence_embeddings]
        return (
            np.array([sentence for sentence, _ in pooled]),
            ragged_array_to_ndarray([tokens for _, tokens in pooled]),
        )
