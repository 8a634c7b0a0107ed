"""kerazoo: a tested model zoo of functional-API builders for Keras 3.

Importing kerazoo registers its layers with Keras, so `.keras` files that use them load after a plain
`import kerazoo`. TensorFlow, gensim, TensorFlow Datasets and scikit-learn are imported only when a
feature that needs them is first used.
"""

from kerazoo import blocks, layers, models

__version__ = "0.1.0"

__all__ = ["__version__", "blocks", "layers", "models"]
