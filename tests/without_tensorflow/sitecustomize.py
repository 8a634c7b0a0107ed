"""Makes `import tensorflow` fail in every Python process started with this folder on PYTHONPATH.

tests/test_backends.py runs the block suite this way on JAX, proving that kerazoo's builders work where
TensorFlow is not installed (a JAX-only Colab TPU runtime, the GPU benchmark machine).
"""

import importlib.abc
import sys

HIDDEN = ("tensorflow", "tensorflow_datasets", "tf_keras")


class _HideTensorFlow(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {fullname!r} (hidden by kerazoo's tests)", name=fullname)
        return None


sys.meta_path.insert(0, _HideTensorFlow())
