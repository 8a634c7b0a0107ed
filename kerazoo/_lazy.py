"""Public names imported on first use, and work that waits for Keras to be imported.

`import keras` costs seconds (it imports TensorFlow or JAX), so `import kerazoo` and the command line start
without it: a package's public names load when first touched (PEP 562), and kerazoo's layers register with
Keras the moment Keras itself is imported, whoever imports it. `import kerazoo` then behaves as if it had
imported everything: `keras.saving.load_model` finds kerazoo's layers either way.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
from collections.abc import Callable, Mapping


def exports(package: str, names: Mapping[str, str]) -> tuple[Callable, Callable]:
    """`__getattr__` and `__dir__` for `package`, whose public name `n` lives in module `names[n]`.

    `names[n]` is a submodule of `package` ("job" for `package.job`), or "" when `n` is itself a submodule.
    """

    def __getattr__(name: str):
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        if names[name]:
            value = getattr(importlib.import_module(f"{package}.{names[name]}"), name)
        else:
            value = importlib.import_module(f"{package}.{name}")
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *names})

    return __getattr__, __dir__


def after_import(module: str, callback: Callable[[], object]) -> None:
    """Calls `callback` once `module` is imported: now if it already is, else right after its import."""
    if module in sys.modules:
        callback()
        return
    sys.meta_path.insert(0, _AfterImport(module, callback))


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds `module` with the finders after it and runs `callback` once the module has executed.

    It stays in place until the module really executes: a `find_spec` that only probes for the module
    (`importlib.util.find_spec`) imports nothing, so it must not use up the callback.
    """

    def __init__(self, module: str, callback: Callable[[], object]):
        self.module = module
        self.callback = callback

    def find_spec(self, name, path=None, target=None):
        if name != self.module or self not in sys.meta_path:
            return None
        for finder in sys.meta_path[sys.meta_path.index(self) + 1 :]:
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _ThenCall(spec.loader, self)
                return spec
        return None


class _ThenCall(importlib.abc.Loader):
    """The module's own loader, followed by the waiting callback."""

    def __init__(self, loader, waiting: _AfterImport):
        self.loader = loader
        self.waiting = waiting

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        # The module sees its own loader (importlib.resources and friends read it), never this wrapper.
        module.__loader__ = module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        if self.waiting in sys.meta_path:
            sys.meta_path.remove(self.waiting)
            self.waiting.callback()
