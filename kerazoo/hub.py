"""Checkpoint sources by name: `hf:ORG/NAME[@REVISION]` through huggingface_hub's own download and cache,
or a local folder, resolved to a folder on this machine.

    folder = hub.resolve("hf:openai-community/gpt2")               # config, safetensors and tokenizer files
    folder = hub.resolve("hf:google-bert/bert-base-uncased@main", files=hub.TOKENIZER_FILES)
    folder = hub.resolve("path/to/checkpoint")                     # a local folder, as it is

Downloads go through `huggingface_hub.snapshot_download`, so its settings apply unchanged: the cache
(`HF_HOME`, `HF_HUB_CACHE`), `HF_HUB_OFFLINE=1` (the cache only), `HF_TOKEN` (private and gated
repositories), `HF_ENDPOINT` (a mirror); a dropped connection resumes where it stopped, and the files an
interrupted call completed are not fetched again. Only
configuration, safetensors and tokenizer files are fetched: kerazoo never downloads, let alone unpickles,
`pytorch_model.bin` and its kind. huggingface_hub is imported on first use, never by `import kerazoo`.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
from pathlib import Path

HF_PREFIX = "hf:"

MODEL_FILES = ("config.json", "*.safetensors", "model.safetensors.index.json")
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "*.model",  # SentencePiece
)
# Weights stored with pickle (PyTorch, and the formats built on it): loading one can run any code.
PICKLED_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt", "*.pkl", "*.pickle")

# A Hub repository id: NAME or ORG/NAME, letters, digits, '-', '_' and '.'.
_REPO_ID = re.compile(r"[\w.-]+(/[\w.-]+)?", re.ASCII)


def is_hub_source(source) -> bool:
    """Whether `source` names a Hugging Face Hub repository (`hf:ORG/NAME[@REVISION]`)."""
    return isinstance(source, str) and source.startswith(HF_PREFIX)


def parse(source: str) -> tuple[str, str | None]:
    """(repository id, revision or None) of an `hf:ORG/NAME[@REVISION]` source."""
    repo_id, at, revision = source.removeprefix(HF_PREFIX).partition("@")
    if not _REPO_ID.fullmatch(repo_id) or (at and not revision):
        raise ValueError(
            f"`source` {source!r} is not a Hub name: write hf:ORG/NAME or hf:ORG/NAME@REVISION "
            "(a branch, tag or commit), e.g. hf:openai-community/gpt2."
        )
    return repo_id, revision or None


def resolve(source, *, files: tuple[str, ...] = MODEL_FILES + TOKENIZER_FILES) -> Path:
    """The local folder holding `source`: a Hub repository downloaded (or found in the cache), or the
    local folder itself.

    Args:
        source: `hf:ORG/NAME[@REVISION]`, or the path of a local folder.
        files: the file patterns to fetch from the Hub (`fnmatch` patterns); a local folder is used as it is.

    Returns:
        The folder; for the Hub, huggingface_hub's snapshot folder of the resolved commit.

    Raises:
        FileNotFoundError: no such repository, revision or folder; or the Hub cannot be reached (or
            `HF_HUB_OFFLINE` is set) and the cache does not hold the files. The message names the source.
        ValueError: `source` is neither a Hub name nor a path.
    """
    if is_hub_source(source):
        return _download(source, files)
    try:
        folder = Path(os.path.expanduser(os.fspath(source)))
    except TypeError:
        raise TypeError(
            f"`source` must be hf:ORG/NAME[@REVISION] or a folder. Received: {type(source).__name__}"
        ) from None
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.is_file() else "does not exist"
        raise FileNotFoundError(
            f"`source` {str(folder)!r} {what}; give a checkpoint folder or a Hub name (hf:ORG/NAME)."
        )
    return folder


def read_config(folder: Path, source, *, library: str = "Hugging Face") -> dict:
    """The checkpoint's config.json as a dict; a missing, unreadable or non-object file is one clear error
    naming `source` (and asking whether it is a `library` checkpoint at all)."""
    try:
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{source} has no config.json: is it a {library} checkpoint?") from None
    except ValueError as error:
        raise ValueError(f"{source}'s config.json is not JSON ({error})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{source}'s config.json holds a {type(config).__name__}, not a JSON object.")
    return config


def pickled_weights(source, folder: Path) -> list[str]:
    """The pickled weight files `source` holds (in its repository, for the Hub) that kerazoo leaves alone."""
    if not is_hub_source(source):
        names = [path.name for path in folder.iterdir()]
    else:
        names = _repository_files(source)
    return sorted(name for name in names if any(fnmatch.fnmatch(name, pattern) for pattern in PICKLED_WEIGHTS))


def _download(source: str, files: tuple[str, ...]) -> Path:
    repo_id, revision = parse(source)
    try:
        from huggingface_hub import constants, snapshot_download
        from huggingface_hub.errors import (
            GatedRepoError,
            HfHubHTTPError,
            LocalEntryNotFoundError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )
    except ImportError:
        raise ImportError(f"Downloading {source} needs huggingface_hub: pip install huggingface_hub") from None
    where = f"on {constants.ENDPOINT}"
    try:
        return Path(snapshot_download(repo_id, revision=revision, allow_patterns=list(files)))
    # Each of huggingface_hub's errors becomes one line that names the source and what to do; its own
    # chain (HTTP details, the URLs tried) is left out, as `--debug` would show the same call.
    except GatedRepoError:
        message = f"{source} is gated {where}: accept its terms on the Hub, then set HF_TOKEN to your token."
    except RepositoryNotFoundError:
        message = f"No repository {repo_id!r} {where} ({source}); a private one needs HF_TOKEN set to your token."
    except RevisionNotFoundError:
        message = f"The repository {repo_id!r} has no revision {revision!r} {where} ({source})."
    except LocalEntryNotFoundError:
        cache = constants.HF_HUB_CACHE
        if constants.HF_HUB_OFFLINE:
            message = (
                f"{source} is not (completely) in the Hugging Face cache {cache!r}, and HF_HUB_OFFLINE is set: "
                "run once with HF_HUB_OFFLINE unset to download it."
            )
        else:
            message = (
                f"{source} could not be fetched: {constants.ENDPOINT} did not answer and the Hugging Face cache "
                f"{cache!r} does not hold it (completely). Check the connection (or HF_ENDPOINT), then run again."
            )
    except HfHubHTTPError as error:
        status = getattr(getattr(error, "response", None), "status_code", None)
        message = f"{source} could not be fetched {where} (HTTP {status}); run again to resume the download."
    raise FileNotFoundError(message) from None


def _repository_files(source: str) -> list[str]:
    """The file names of a downloaded repository, from the listing huggingface_hub cached with it."""
    repo_id, revision = parse(source)
    try:
        from huggingface_hub import get_cached_repo_tree
        from huggingface_hub.errors import CachedRepoTreeNotFoundError
    except ImportError:  # a huggingface_hub that caches no listing
        return []
    try:
        return [Path(entry.path).name for entry in get_cached_repo_tree(repo_id, revision=revision)]
    except CachedRepoTreeNotFoundError:
        return []
