"""The few Layer classes the blocks need, GPT-2's activation and the text standardize functions; all
registered with Keras under the package "kerazoo"."""

from kerazoo.layers.activations import gelu_erf, gelu_tanh
from kerazoo.layers.attention_pooling import AttentionPooling
from kerazoo.layers.bias import Bias
from kerazoo.layers.multi_head_attention import MultiHeadAttention, RotaryMultiHeadAttention, apply_rotary
from kerazoo.layers.padding_mask import PaddingMask
from kerazoo.layers.position_embedding import PositionEmbedding
from kerazoo.layers.recurrent import LSTM, Bidirectional
from kerazoo.layers.reversible_embedding import ReversibleEmbedding
from kerazoo.layers.segment_embedding import SegmentEmbedding
from kerazoo.layers.sinusoidal_position_embedding import SinusoidalPositionEmbedding, sinusoidal_positions
from kerazoo.layers.text_standardization import standardize_words, standardize_words_keep_case, words
from kerazoo.layers.transformer import TransformerDecoder, TransformerEncoder

__all__ = [
    "LSTM",
    "AttentionPooling",
    "Bias",
    "Bidirectional",
    "MultiHeadAttention",
    "PaddingMask",
    "PositionEmbedding",
    "ReversibleEmbedding",
    "RotaryMultiHeadAttention",
    "SegmentEmbedding",
    "SinusoidalPositionEmbedding",
    "TransformerDecoder",
    "TransformerEncoder",
    "apply_rotary",
    "gelu_erf",
    "gelu_tanh",
    "sinusoidal_positions",
    "standardize_words",
    "standardize_words_keep_case",
    "words",
]
