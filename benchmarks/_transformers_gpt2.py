"""transformers' GPT-2 (PyTorch) for the GPT-2 rows, in a process that never loads TensorFlow or JAX.

python -m benchmarks._transformers_gpt2 write FOLDER SIZES_JSON
    a GPT2LMHeadModel with random weights (seed 0) at the sizes given, saved as safetensors in FOLDER
python -m benchmarks._transformers_gpt2 generate FOLDER PROMPT_JSON NEW_TOKENS
    a `benchmarks._remote` worker: one greedy `generate` of the prompt (a list of id lists) per step
"""

from __future__ import annotations

import json
import os
import sys

from benchmarks._memory import resident_mb
from benchmarks._remote import protocol_channel, serve


def write(folder: str, sizes: str) -> None:
    import torch
    import transformers

    torch.manual_seed(0)
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**json.loads(sizes)))
    model.save_pretrained(folder)


def generate(folder: str, prompt: str, new_tokens: str) -> None:
    channel = protocol_channel()
    import torch
    import transformers

    # As many threads as this process may use, as TensorFlow and JAX take by default.
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    torch.zeros(1)
    model_class = transformers.GPT2LMHeadModel  # transformers imports its modules when first named
    baseline = resident_mb()  # with the runtime and the code loaded, as for the contenders in-process
    model = model_class.from_pretrained(folder, dtype=torch.float32).eval()
    model.generation_config.eos_token_id = None  # every row makes all `new_tokens`, as kerazoo's do
    model.generation_config.pad_token_id = None
    ids = torch.tensor(json.loads(prompt), dtype=torch.int64)
    mask = torch.ones_like(ids)
    count = int(new_tokens)

    def step():
        with torch.no_grad():
            out = model.generate(ids, attention_mask=mask, max_new_tokens=count, do_sample=False, use_cache=True)
        if out.shape[1] != ids.shape[1] + count:
            raise RuntimeError(f"transformers made {out.shape[1] - ids.shape[1]} tokens, not {count}")

    serve(step, baseline, channel)


if __name__ == "__main__":
    {"write": write, "generate": generate}[sys.argv[1]](*sys.argv[2:])
