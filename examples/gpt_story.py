"""GPT-2 writes a story: text generation from a pretrained checkpoint, as transformers' generate() does it.

    tokenizer = text.Tokenizer.load("hf:gpt2")
    model = models.from_pretrained("hf:gpt2", tokenizer=tokenizer)
    story = models.generate(model, prompt, max_new_tokens=150, tokenizer=tokenizer, temperature=0.7)

Sampling at temperature 0.7 (--temperature 0 is greedy), seeded, with the key/value cache. The first run
downloads GPT-2 small (about 550 MB) into huggingface_hub's cache; --model takes another GPT-2 checkpoint
(hf:ORG/NAME[@REVISION] or a folder):

    python examples/gpt_story.py
    python examples/gpt_story.py "The robot opened the door" --model hf:openai-community/gpt2-medium
"""

from __future__ import annotations

import argparse
import time

from kerazoo import models, text

PROMPT = "Once upon a time, in a small village by the sea, there lived"


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prompt", nargs="?", default=PROMPT)
    parser.add_argument("--model", default="hf:gpt2", help="hf:ORG/NAME[@REVISION] or a folder")
    parser.add_argument("--max-new-tokens", type=int, default=150)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--top-p", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    tokenizer = text.Tokenizer.load(args.model)
    model = models.from_pretrained(args.model, tokenizer=tokenizer)
    start = time.perf_counter()
    story = models.generate(
        model,
        args.prompt,
        args.max_new_tokens,
        tokenizer=tokenizer,
        temperature=args.temperature,
        top_p=args.top_p,
        seed=args.seed,
    )
    seconds = time.perf_counter() - start
    print(args.prompt + story)
    print(
        f"--- {len(story)} characters generated in {seconds:.1f} s (temperature {args.temperature}, seed {args.seed})"
    )
    return story


if __name__ == "__main__":
    main()
