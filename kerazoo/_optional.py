"""Optional packages: imported where a feature needs them, with the line that installs them when missing."""

from __future__ import annotations

import importlib
from types import ModuleType

# Module -> the pip line that installs it (a kerazoo extra where one carries it).
INSTALL = {
    "tensorflow": 'pip install "kerazoo[tensorflow-cpu]" (or [tensorflow] / [tensorflow-cuda] for GPUs)',
    "tensorflow_datasets": 'pip install "kerazoo[tensorflow-cpu]" (its extras bring tensorflow-datasets)',
    "tensorboard": "pip install tensorboard",
    "tf2onnx": 'pip install "kerazoo[export]"',
    "onnx": 'pip install "kerazoo[export]"',
    "safetensors": "pip install safetensors (kerazoo installs it; reinstall kerazoo)",
    "tokenizers": "pip install tokenizers (kerazoo installs it; reinstall kerazoo)",
    "huggingface_hub": "pip install huggingface_hub (kerazoo installs it; reinstall kerazoo)",
    "transformers": 'pip install "kerazoo[sentencepiece]" (SentencePiece .model files are read through transformers)',
    "keras_hub": "pip install keras-hub",
    "jax": 'pip install "kerazoo[jax]"',
}


def missing(module: str, purpose: str | None = None) -> str:
    """The message for a missing optional `module`: what needs it and how to install it."""
    needed = f"{purpose} needs {module}" if purpose else f"The Python package {module!r} is not installed"
    install = INSTALL.get(module.partition(".")[0])
    return f"{needed}: {install}." if install else f"{needed}."


def require(module: str, purpose: str) -> ModuleType:
    """`module`, imported; ImportError naming `purpose` and the install line when it is missing."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is None or not module.startswith(error.name):
            raise  # the package is there, and something it imports is not: its own error says more
        raise ModuleNotFoundError(missing(module, purpose), name=error.name) from None
