"""The datasets `load` knows and how each is read: offline ones, tensorflow-datasets and folders.

`read` returns `Splits`: train, validation and test `tf.data` datasets of `(inputs, targets)` pairs,
unbatched and preprocessed for the task (images as float32 in [0, 1] at the asked shape, text as token
ids), and the `TaskData` fields that describe them.

Text becomes ids one of two ways, beside each other: words (`TextVectorization`, or a Word2Vec run's
vocabulary) or a subword `kerazoo.text.Tokenizer` (`tokenization.make_tokenizer`). Text held in memory
(the language-model corpora) is tokenized in NumPy; text that streams (folders, tensorflow-datasets, and
the classification splits, which are datasets already) through the tokenizer's `tf.data` map.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerazoo import names
from kerazoo._validation import require_choice
from kerazoo.data import folders, offline, tfds
from kerazoo.data.splits import cardinality, split
from kerazoo.data.synthetic import copy_task
from kerazoo.data.tokenization import make_tokenizer
from kerazoo.embeddings.keras_layers import embedding_matrix, text_vectorization_and_embedding, vectors_vocabulary
from kerazoo.embeddings.persistence import load as load_word2vec
from kerazoo.text import words as split_words

# The tasks the data is prepared for (each has its reader below); a registered model serves one of them.
TASKS = ("image-classification", "text-classification", "language-modeling", "seq2seq")
# The datasets that ship inside dependencies, by the task they serve; the first of a task is its default.
OFFLINE = {
    "digits": "image-classification",
    "polarity": "text-classification",
    "lee": "language-modeling",
    "wiki": "language-modeling",
    "copy": "seq2seq",
}
# Digits are 8x8: upsampled to the smallest input every image model of the zoo takes.
DIGITS_SHAPE = (32, 32, 1)
# image_dataset_from_directory's own default size, and the channels tf.io.decode_image gives.
FOLDER_IMAGE_SHAPE = (256, 256, 3)
FOLDER_CHANNELS = (1, 3, 4)  # grayscale, RGB, RGBA
SEQUENCE_LENGTH = 64
# Words kept by the word path when no vocab_size is asked for (padding and "[UNK]" included).
WORD_VOCAB_SIZE = 20000
# The copy task: 8 tokens to copy (the target adds the start or end token) from a vocabulary of 12.
COPY_LENGTH, COPY_VOCAB_SIZE, COPY_EXAMPLES = 8, 12, 3000


@dataclass(frozen=True)
class ReadOptions:
    """What `load` was asked for, handed to the readers."""

    task: str
    image_shape: tuple | None
    sequence_length: int | None
    vocab_size: int
    embeddings: str | os.PathLike | None
    tokenizer: object  # a `--tokenizer` spec or a Tokenizer (tokenization.make_tokenizer); None for non-text
    seed: int
    data_dir: str | os.PathLike | None
    download: bool


@dataclass(frozen=True)
class Splits:
    datasets: dict  # "train", "validation", "test": unbatched tf.data datasets
    metadata: dict  # TaskData fields: num_classes, class_names, vocabulary, tokenizer, text_sizes, ...


def default_dataset(task: str) -> str:
    """The offline dataset a task trains on when none is named."""
    require_choice("task", task, TASKS)
    return next(name for name, served in OFFLINE.items() if served == task)


def resolve_source(name: str, task: str) -> str:
    """ "offline", "tfds" or "path", after checking that `name` exists and serves `task`."""
    if name.startswith(tfds.PREFIX):
        if task not in ("image-classification", "text-classification"):
            raise ValueError(f"tfds: datasets are read for image and text classification. Received task={task!r}")
        return "tfds"
    if name in OFFLINE:
        if OFFLINE[name] != task:
            served = [n for n, t in OFFLINE.items() if t == task]
            raise ValueError(
                f"Dataset {name!r} is a {OFFLINE[name]} dataset; the model is a {task} model. "
                f"Offline datasets for {task}: {', '.join(served)}"
            )
        return "offline"
    if Path(name).exists():
        if task == "seq2seq":
            raise ValueError(f"seq2seq models train on the synthetic 'copy' task only. Received: data={name!r}")
        return "path"
    close = difflib.get_close_matches(name, list(OFFLINE), n=2, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"Unknown dataset {name!r}: not an offline dataset, a tfds: name or an existing path.{hint} "
        f"Offline datasets: {', '.join(f'{n} ({t})' for n, t in OFFLINE.items())}"
    )


def read(name: str, options: ReadOptions) -> Splits:
    reader = {
        "image-classification": _images,
        "text-classification": _texts,
        "language-modeling": _language_modeling,
        "seq2seq": _copy_sequences,
    }[options.task]
    return reader(name, resolve_source(name, options.task), options)


def _slices(*arrays):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(arrays)


def _held_out(x, y) -> dict:
    """Train and validation datasets from arrays: the first tenth is the validation split."""
    return {part: _slices(x[s], y[s]) for part, s in split(len(y), ("validation", "train")).items()}


def _images(name: str, source: str, options: ReadOptions) -> Splits:
    if source == "offline":
        shape = options.image_shape or DIGITS_SHAPE
        (x, y), (x_test, y_test) = offline.load_digits(image_size=shape[:2], seed=options.seed)
        x, x_test = (np.repeat(images, shape[2], axis=-1) for images in (x, x_test))
        datasets = {**_held_out(x, y), "test": _slices(x_test, y_test)}
        class_names = [str(digit) for digit in range(10)]
    elif source == "tfds":
        datasets, features, columns = tfds.read(name, options)
        shape = options.image_shape or tuple(features[columns.inputs[0]].shape)
        if None in shape:
            raise ValueError(f"{name} images vary in size: give the model's input_shape (--set input_shape=(H, W, C)).")
        datasets = {part: dataset.map(_image_to(shape)) for part, dataset in datasets.items()}
        class_names = features[columns.label].names
    else:
        shape = options.image_shape or FOLDER_IMAGE_SHAPE
        if shape[2] not in FOLDER_CHANNELS:
            raise ValueError(f"Folder images need 1, 3 or 4 channels. Received: input_shape={shape}")
        files, class_names = _folder_files(Path(name), options.seed, folders.IMAGE_EXTENSIONS)
        for paths, _ in files.values():
            folders.require_images(paths)
        datasets = {
            part: _slices(*part_files).map(folders.read_image(shape)).map(_image_to(shape))
            for part, part_files in files.items()
        }
    return Splits(datasets, {"num_classes": len(class_names), "class_names": tuple(class_names), "image_shape": shape})


def _image_to(shape):
    """A map from `(image, label)` to float32 pixels in [0, 1] at `shape`, and an int32 label."""
    import tensorflow as tf

    def convert(image, label):
        if image.dtype == tf.uint8:
            image = tf.image.convert_image_dtype(image, tf.float32)
        else:  # image_dataset_from_directory yields float32 in [0, 255]
            image = tf.cast(image, tf.float32) / 255.0
        if image.shape[-1] == 1 and shape[2] == 3:
            image = tf.image.grayscale_to_rgb(image)
        elif image.shape[-1] == 3 and shape[2] == 1:
            image = tf.image.rgb_to_grayscale(image)
        if tuple(image.shape[:2]) != tuple(shape[:2]):
            image = tf.image.resize(image, shape[:2])
        return image, tf.cast(label, tf.int32)

    return convert


def _texts(name: str, source: str, options: ReadOptions) -> Splits:
    import tensorflow as tf

    paired = False
    if source == "offline":
        (texts, y), (texts_test, y_test), class_names = offline.load_polarity(seed=options.seed)
        datasets = {**_held_out(texts, y), "test": _slices(texts_test, y_test)}
    elif source == "tfds":
        datasets, features, columns = tfds.read(name, options)
        class_names, paired = features[columns.label].names, columns.paired
    else:
        files, class_names = _folder_files(Path(name), options.seed, folders.TEXT_EXTENSIONS)
        datasets = {
            part: _slices(*part_files).map(lambda path, label: (tf.io.read_file(path), label))
            for part, part_files in files.items()
        }
    length = options.sequence_length or SEQUENCE_LENGTH
    train_texts = datasets["train"].map(lambda text, _: text)
    if paired:  # the tokenizer learns from both texts of each pair
        train_texts = train_texts.flat_map(lambda first, second: tf.data.Dataset.from_tensor_slices([first, second]))
    tokenizer = make_tokenizer(options.tokenizer, _decoded(train_texts))
    metadata = {"num_classes": len(class_names), "class_names": tuple(class_names), "sequence_length": length}
    if tokenizer is not None:
        _require_vocab_fits(tokenizer, options)
        encode = tokenizer.tf_map(max_length=length, padding="max_length", pairs=paired)
        # A pair's ids say which text each token came from (BERT's segment ids), beside the tokens.
        fed = (names.TOKENS, names.SEGMENT_IDS) if paired else (names.TOKENS,)

        def to_subword_ids(dataset):
            # Batched for the tokenizer (one trip to Python per batch), then single examples again.
            tokenized = dataset.batch(256).map(encode, num_parallel_calls=tf.data.AUTOTUNE).unbatch()
            tokenized = tokenized.map(lambda x, label: (_inputs(x, fed), tf.cast(label, tf.int32)))
            return tokenized.apply(tf.data.experimental.assert_cardinality(cardinality(dataset)))

        datasets = {part: to_subword_ids(dataset) for part, dataset in datasets.items()}
        return Splits(datasets, {**metadata, "tokenizer": tokenizer, "sentence_pairs": paired})
    if paired:
        raise ValueError(
            f"{name} holds sentence pairs, which a subword tokenizer joins into one sequence with segment ids "
            "(BERT's [CLS] a [SEP] b [SEP]); words cannot. Received: tokenizer='words' (the default for "
            "classification); give tokenizer='wordpiece:8000' (--tokenizer wordpiece:8000) or a checkpoint's "
            "(--from)."
        )
    vectorize, matrix = _vectorizer(options, length, train_texts)

    def to_ids(text, label):
        return vectorize(tf.expand_dims(text, 0))[0], tf.cast(label, tf.int32)

    return Splits(
        {part: dataset.map(to_ids) for part, dataset in datasets.items()},
        {**metadata, "vocabulary": tuple(vectorize.get_vocabulary()), "embedding_matrix": matrix},
    )


def _inputs(encoded: dict, fed: tuple[str, ...]):
    """What a classifier takes of `encode`'s dict: the tokens alone, or the dict of the inputs `fed`."""
    return encoded[fed[0]] if len(fed) == 1 else {key: encoded[key] for key in fed}


def _decoded(texts):
    """The strings of a dataset of texts, read once, as a tokenizer trains on them."""
    for text in texts.as_numpy_iterator():
        yield text.decode("utf8", "replace")


def _require_vocab_fits(tokenizer, options: ReadOptions) -> None:
    """A `vocab_size` asked for caps the tokenizer's vocabulary as it caps the word path's."""
    if options.vocab_size is not None and tokenizer.vocab_size > options.vocab_size:
        raise ValueError(
            f"`vocab_size` ({options.vocab_size}) is smaller than the tokenizer's {tokenizer.vocab_size} tokens; "
            "leave it out (the tokenizer sizes the model) or use a smaller tokenizer. Received: "
            f"vocab_size={options.vocab_size}"
        )


def _vectorizer(options: ReadOptions, length: int, train_texts):
    """A `TextVectorization`, from a Word2Vec run's vocabulary or adapted on the training texts only."""
    import keras

    from kerazoo.layers.text_standardization import standardize_words  # imports Keras

    if options.embeddings is not None:
        vectorize, embedding = text_vectorization_and_embedding(
            _word_vectors(options.embeddings), max_tokens=_word_vocab_size(options), output_sequence_length=length
        )
        return vectorize, keras.ops.convert_to_numpy(embedding.embeddings)
    vectorize = keras.layers.TextVectorization(
        max_tokens=_word_vocab_size(options), output_sequence_length=length, standardize=standardize_words
    )
    vectorize.adapt(train_texts.batch(256))
    return vectorize, None


def _word_vectors(path):
    model = load_word2vec(path)
    return getattr(model, "wv", model)


def _word_vocab_size(options: ReadOptions) -> int:
    return options.vocab_size or WORD_VOCAB_SIZE


def _language_modeling(name: str, source: str, options: ReadOptions) -> Splits:
    length = options.sequence_length or SEQUENCE_LENGTH
    # The text in order: 80% of its words to train on, then 10% each for validation and test. Both paths
    # cut the same text, so runs with different tokenizers are scored on the same words.
    parts = split_text(offline.corpus_texts(name), ("train", "validation", "test"))
    tokenizer = make_tokenizer(options.tokenizer, parts["train"], unpadded=True)
    if tokenizer is None:
        metadata, windows, sizes = _word_windows(parts, options, length)
    else:
        _require_vocab_fits(tokenizer, options)
        metadata = {"tokenizer": tokenizer}
        windows = {part: offline.next_token_windows(texts, tokenizer, length) for part, texts in parts.items()}
        sizes = {part: offline.text_size(texts) for part, texts in parts.items()}
    datasets = {}
    for part, (x, y) in windows.items():
        if not len(x):
            raise ValueError(
                f"The {part} part of {name!r} ({sizes[part]['words']} words) is shorter than one example of "
                f"sequence_length={length}."
            )
        datasets[part] = _slices(x, y)
    return Splits(datasets, {**metadata, "sequence_length": length, "text_sizes": sizes})


def _word_windows(parts: dict, options: ReadOptions, length: int):
    """The word path: a vocabulary (the training words', or a Word2Vec run's with its vectors), each part's
    windows, and the size of the text their targets cover (each target is one word)."""
    part_words = {part: [word for text in texts for word in split_words(text)] for part, texts in parts.items()}
    matrix = None
    if options.embeddings is not None:
        vectors = _word_vectors(options.embeddings)
        vocabulary = vectors_vocabulary(vectors, _word_vocab_size(options))
        matrix = embedding_matrix(vectors, vocabulary)
    else:
        vocabulary = offline.word_vocabulary(part_words["train"], _word_vocab_size(options) - 2)
    windows = {part: offline.next_word_windows(found, vocabulary, length) for part, found in part_words.items()}
    sizes = {part: offline.text_size(part_words[part][1 : y.size + 1]) for part, (_, y) in windows.items()}
    metadata = {"vocabulary": tuple(vocabulary), "embedding_matrix": matrix}
    return metadata, windows, sizes


def split_text(texts: list[str], order: tuple[str, ...]) -> dict[str, list[str]]:
    """`texts` (in order) cut into consecutive parts as `split` cuts their words: `{part: texts}`.

    A text that a boundary falls in is cut at the whitespace before the word the boundary names (before the
    run of characters holding it, where punctuation joins words: a word or two off at most), so the words
    of the parts are exactly the words of the texts.
    """
    counts = [len(split_words(text, lowercase=False)) for text in texts]
    bounds = [s.stop for s in split(sum(counts), order).values()][:-1]  # where each part but the last ends
    parts: dict[str, list[str]] = {part: [] for part in order}
    current, offset = 0, 0  # the part being filled, and the words of the texts before this one
    for text, count in zip(texts, counts, strict=True):
        position = 0  # the characters of `text` given to a part already
        while current < len(bounds) and bounds[current] < offset + count:
            cut = max(position, _word_start(text, bounds[current] - offset))
            if text[position:cut].strip():
                parts[order[current]].append(text[position:cut])
            position, current = cut, current + 1
        if text[position:].strip():
            parts[order[current]].append(text[position:])
        offset += count
    return parts


def _word_start(text: str, index: int) -> int:
    """Where the whitespace-separated run holding word `index` of `text` starts (0 for index <= 0)."""
    seen = 0
    for run in re.finditer(r"\S+", text):
        if seen >= index:
            return run.start()
        seen += len(split_words(run.group(), lowercase=False))
    return len(text)


def _copy_sequences(name: str, source: str, options: ReadOptions) -> Splits:
    # The target is the copied tokens and one start or end token.
    length = options.sequence_length or COPY_LENGTH + 1
    if length < 2:
        raise ValueError(f"The copy task needs sequence_length >= 2. Received: sequence_length={length}")
    source_ids, target_in, target_out = copy_task(
        COPY_EXAMPLES, length=length - 1, vocab_size=COPY_VOCAB_SIZE, seed=options.seed
    )
    datasets = {
        part: _slices({"source": source_ids[s], "target": target_in[s]}, target_out[s])
        for part, s in split(COPY_EXAMPLES, ("train", "validation", "test")).items()
    }
    vocabulary = ("", "[START]", "[END]", *(str(token) for token in range(3, COPY_VOCAB_SIZE)))
    return Splits(datasets, {"vocabulary": vocabulary, "sequence_length": length})


def _folder_files(root: Path, seed: int, extensions: tuple[str, ...]):
    """`{split: (paths, labels)}` and the class names, from a folder of class sub-folders.

    With `train/` and `test/` folders, a tenth of `train/` is held out for validation; else a fifth of the
    folder is held out, half for validation, half for test.
    """
    (paths, labels), test_files, class_names = folders.class_files(root, extensions, seed)
    order = ("validation", "train") if test_files is not None else ("validation", "test", "train")
    files = {part: (paths[s], labels[s]) for part, s in split(len(paths), order).items()}
    if test_files is not None:
        files["test"] = test_files
    return files, class_names
