"""The suites: which rows each runs, at which sizes, on which Keras backend and dtype policy.

cpu: TensorFlow backend, float32, sizes a 2-core machine trains in seconds per step.
gpu: JAX backend, mixed_bfloat16, the sizes the issue's H100 references were measured at.
word2vec: kerazoo's Word2Vec pipeline against raw gensim (no Keras backend involved).
tokenizers: kerazoo's text.Tokenizer against tokenizers, keras-hub and tiktoken (TensorFlow for keras-hub).
`quick` shrinks every size and repetition to a smoke run that checks the suite works, not how fast it is.
"""

from __future__ import annotations

SUITES = ("cpu", "word2vec", "tokenizers", "gpu")  # the order of runs and of the table
BACKENDS = {"cpu": "tensorflow", "gpu": "jax", "word2vec": "tensorflow", "tokenizers": "tensorflow"}
PRECISIONS = {"cpu": "float32", "gpu": "mixed_bfloat16", "word2vec": "float32", "tokenizers": "float32"}

_TIMING = {
    "cpu": {"rounds": 11, "steps_per_round": 4, "warmup": 2},
    "gpu": {"rounds": 7, "steps_per_round": 20, "warmup": 3},
    "quick": {"rounds": 2, "steps_per_round": 1, "warmup": 1},
}
_GENERATION_TIMING = {"rounds": 5, "steps_per_round": 1, "warmup": 1}


def rows(suite: str, quick: bool) -> list:
    """The suite's rows; run in the process that measures them (the backend already chosen)."""
    if suite == "word2vec":
        from benchmarks import word2vec

        return word2vec.rows(quick)
    if suite == "tokenizers":
        from benchmarks import tokenizers

        return tokenizers.rows(quick)
    from benchmarks import distributed, generation, pretrained, startup, training

    timing = _TIMING["quick" if quick else suite]
    generation_timing = _TIMING["quick"] if quick else _GENERATION_TIMING
    sizes = _sizes("quick" if quick else suite)
    found = [
        *training.encoder_rows(sizes["encoder"], timing),
        training.gpt_row(sizes["gpt"], timing),
        generation.generation_row(sizes["generation"], generation_timing),
        pretrained.bert_finetuning_row(sizes["bert"], timing),
        training.resnet50_row(sizes["resnet50"], timing),
        training.lstm_row(sizes["lstm"], timing),
    ]
    if suite == "cpu":  # transformers' GPT-2 runs on the CPU, in its own process; the gpu suite is JAX alone
        found.append(pretrained.transformers_generation_row(sizes["gpt2"], generation_timing))
        # kerazoo on JAX too: TensorFlow's XLA decoded GPT-2 at batch 1 at ~0.6x JAX's speed on the same CPU.
        found.append(pretrained.transformers_generation_row(sizes["gpt2"], generation_timing, backend="jax"))
        found.append(distributed.distributed_row(sizes["distributed"], timing, distributed.VIRTUAL_CPU_DEVICES))
    elif _accelerators() > 1:
        found.append(distributed.distributed_row(sizes["distributed"], timing))
    found.append(startup.import_row(rounds=3 if quick else 7))
    return found


def _accelerators() -> int:
    import jax

    return sum(device.platform != "cpu" for device in jax.devices())


def _sizes(scale: str) -> dict:
    from benchmarks.distributed import DataParallel
    from benchmarks.generation import Generation
    from benchmarks.pretrained import Bert
    from benchmarks.training import Encoder, Gpt, Images, Recurrent

    if scale == "gpu":
        return {
            "encoder": Encoder(layers=12, dim=768, heads=12, ffn=3072, length=512, batch=32),
            "gpt": Gpt(vocab=50257, layers=12, dim=768, heads=12, length=1024, batch=8),
            "generation": Generation(vocab=50257, layers=12, dim=768, heads=12, batch=8, prompt=64, new_tokens=192),
            # BERT-base, fine-tuned as Devlin et al. did on GLUE: sequences of 128, batches of 32.
            "bert": Bert(vocab=30522, layers=12, dim=768, heads=12, ffn=3072, length=128, batch=32),
            "resnet50": Images(size=224, classes=1000, batch=128),
            "lstm": Recurrent(layers=2, units=512, length=200, features=128, batch=256),
            "distributed": DataParallel("resnet50", {}, (224, 224, 3), batch=256),
        }
    if scale == "cpu":
        return {
            "encoder": Encoder(layers=2, dim=256, heads=4, ffn=1024, length=128, batch=16),
            "gpt": Gpt(vocab=4096, layers=2, dim=256, heads=4, length=128, batch=8),
            "generation": Generation(vocab=2000, layers=4, dim=128, heads=4, batch=4, prompt=32, new_tokens=224),
            "bert": Bert(vocab=30522, layers=4, dim=256, heads=4, ffn=1024, length=128, batch=16),
            # GPT-2 small (124M parameters), one prompt at a time, as examples/gpt_story.py decodes.
            "gpt2": Generation(vocab=50257, layers=12, dim=768, heads=12, batch=1, prompt=32, new_tokens=128),
            "resnet50": Images(size=64, classes=10, batch=16),
            "lstm": Recurrent(layers=2, units=128, length=64, features=64, batch=32),
            "distributed": DataParallel("resnet18", {"width": 16}, (32, 32, 1), batch=64),
        }
    return {
        "encoder": Encoder(layers=1, dim=32, heads=2, ffn=64, length=16, batch=4),
        "gpt": Gpt(vocab=128, layers=1, dim=32, heads=2, length=16, batch=4),
        "generation": Generation(vocab=128, layers=1, dim=32, heads=2, batch=2, prompt=4, new_tokens=4),
        "bert": Bert(vocab=128, layers=1, dim=32, heads=2, ffn=64, length=16, batch=4),
        "gpt2": Generation(vocab=128, layers=1, dim=32, heads=2, batch=1, prompt=4, new_tokens=4),
        "resnet50": Images(size=32, classes=10, batch=2),
        "lstm": Recurrent(layers=2, units=16, length=8, features=8, batch=4),
        "distributed": DataParallel("resnet18", {"width": 8}, (32, 32, 1), batch=8),
    }
