"""Checkpoint folders written by hand for the converter and download tests. A module of its own, since
`from conftest import ...` finds whichever conftest.py was imported first."""

import json

import numpy as np


class TinyGPT2Checkpoint:
    """A Hugging Face GPT-2 folder written by hand (config.json + model.safetensors), to test conversion
    and its refusals without transformers or PyTorch."""

    def __init__(self):
        self.config = {"model_type": "gpt2", "vocab_size": 10, "n_positions": 4, "n_embd": 4, "n_layer": 1, "n_head": 2}

    @staticmethod
    def arrays() -> dict:
        shapes = {"wte.weight": (10, 4), "wpe.weight": (4, 4), "ln_f.weight": (4,), "ln_f.bias": (4,)}
        for norm in ("ln_1", "ln_2"):
            shapes.update({f"h.0.{norm}.weight": (4,), f"h.0.{norm}.bias": (4,)})
        shapes.update({"h.0.attn.c_attn.weight": (4, 12), "h.0.attn.c_attn.bias": (12,)})
        shapes.update({"h.0.attn.c_proj.weight": (4, 4), "h.0.attn.c_proj.bias": (4,)})
        shapes.update({"h.0.mlp.c_fc.weight": (4, 16), "h.0.mlp.c_fc.bias": (16,)})
        shapes.update({"h.0.mlp.c_proj.weight": (16, 4), "h.0.mlp.c_proj.bias": (4,)})
        rng = np.random.default_rng(0)
        return {name: rng.normal(size=shape).astype("float32") for name, shape in shapes.items()}

    def write(self, folder, *, config=None, arrays=None):
        from safetensors.numpy import save_file

        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps(config or self.config))
        save_file(arrays if arrays is not None else self.arrays(), str(folder / "model.safetensors"))
        return folder
