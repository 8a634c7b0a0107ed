"""Functional-API builders: each takes a Keras tensor and returns one, naming every layer it creates."""

from kerazoo.blocks.conv import conv_bn_act, residual_block, squeeze_excite
from kerazoo.blocks.embedding import token_and_position_embedding
from kerazoo.blocks.recurrent import attention_pooling, lstm_block
from kerazoo.blocks.transformer import transformer_decoder_block, transformer_encoder_block

__all__ = [
    "attention_pooling",
    "conv_bn_act",
    "lstm_block",
    "residual_block",
    "squeeze_excite",
    "token_and_position_embedding",
    "transformer_decoder_block",
    "transformer_encoder_block",
]
