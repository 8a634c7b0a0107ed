"""kerazoo: a tested model zoo of functional-API builders for Keras 3.

`import kerazoo` registers kerazoo's layers with Keras, so `.keras` files that use them load after it. It
does so the moment Keras is imported (now, if it already is), and loads its subpackages when first used,
so that `import kerazoo` and the `kerazoo` command start without Keras, TensorFlow, JAX or gensim.
"""

import importlib

from kerazoo import _lazy

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "blocks",
    "data",
    "distribute",
    "embeddings",
    "layers",
    "models",
    "plots",
    "testing",
    "text",
    "training",
]

__getattr__, __dir__ = _lazy.exports(__name__, {name: "" for name in __all__[1:]})
_lazy.after_import("keras", lambda: importlib.import_module("kerazoo.layers"))
