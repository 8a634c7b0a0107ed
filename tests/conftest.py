import os

import pytest
from tiny_checkpoints import TinyGPT2Checkpoint

# TensorFlow's C++ start-up banner says nothing a test reader needs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture
def gpt2_checkpoint():
    pytest.importorskip("safetensors")
    return TinyGPT2Checkpoint()
