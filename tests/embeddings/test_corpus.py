import bz2
import gzip
import shutil

import pytest
from gensim.test.utils import datapath

from kerazoo.embeddings import MAX_TOKENS_PER_TEXT, Corpus

LEE = datapath("lee_background.cor")


def _count(corpus):
    return sum(len(tokens) for tokens in corpus)


def test_plain_gzip_bzip2_folder_and_token_lists_read_the_same_tokens(tmp_path):
    with open(LEE, encoding="utf8") as file:
        text = file.read()
    with gzip.open(tmp_path / "lee.cor.gz", "wt", encoding="utf8") as file:
        file.write(text)
    with bz2.open(tmp_path / "lee.cor.bz2", "wt", encoding="utf8") as file:
        file.write(text)
    parts = tmp_path / "parts"
    parts.mkdir()
    lines = text.splitlines(keepends=True)
    (parts / "a.txt").write_text("".join(lines[:100]), encoding="utf8")
    (parts / "b.txt").write_text("".join(lines[100:]), encoding="utf8")
    plain = Corpus(LEE)
    expected = _count(plain)
    assert expected > 50_000
    assert _count(Corpus(tmp_path / "lee.cor.gz")) == expected
    assert _count(Corpus(tmp_path / "lee.cor.bz2")) == expected
    assert _count(Corpus(parts)) == expected
    assert _count(Corpus(str(parts / "*.txt"))) == expected
    assert _count(Corpus(list(plain))) == expected


def test_a_corpus_can_be_iterated_again():
    corpus = Corpus(LEE)
    assert _count(corpus) == _count(corpus) == corpus.tokens_read


def test_a_25000_token_text_is_split_not_truncated(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(" ".join(f"w{i % 97}" for i in range(25_000)) + "\n", encoding="utf8")
    corpus = Corpus(path)
    pieces = list(corpus)
    assert [len(p) for p in pieces] == [MAX_TOKENS_PER_TEXT, MAX_TOKENS_PER_TEXT, 5_000]
    assert corpus.tokens_read == 25_000 and corpus.texts_split == 1


def test_tokens_are_lowercased_words_without_punctuation():
    corpus = Corpus([["unused"]])
    assert corpus.tokenize("Hello, World! It's a well-known 2024.") == [
        "hello",
        "world",
        "it's",
        "a",
        "well-known",
        "2024",
    ]
    assert Corpus([["x"]], lowercase=False, min_token_length=3).tokenize("Hi the World") == ["the", "World"]


def test_without_punctuation_stripping_text_splits_on_whitespace_as_gensim_does():
    corpus = Corpus([["unused"]], strip_punctuation=False, lowercase=False)
    assert corpus.tokenize("  Hello, World!\tIt's\n") == ["Hello,", "World!", "It's"]


@pytest.mark.parametrize(
    ("tokens", "safe"),
    [
        (["new york", "", "city", "\t"], ["new_york", "city"]),
        (["a", ""], ["a"]),
        (["", "a"], ["a"]),
        (["non\u00a0breaking", "tab\tbed"], ["non_breaking", "tab_bed"]),
        (("a", "tuple"), ["a", "tuple"]),
        (["\U0001f469\u200d\U0001f4bb", "z\u200cw"], ["\U0001f469\u200d\U0001f4bb", "z\u200cw"]),
    ],
)
def test_token_lists_are_made_safe_for_a_one_text_a_line_file(tokens, safe):
    assert list(Corpus([tokens, ["plain"]])) == [safe, ["plain"]]


def test_a_wikipedia_dump_yields_articles_without_markup_or_redirects():
    texts = list(Corpus(datapath("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")))
    assert len(texts) > 100
    assert "redirect" not in [text[0] for text in texts]
    assert not any(token.startswith(("[[", "{{", "<")) for text in texts for token in text)


def test_undecodable_bytes_are_replaced_not_fatal(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good words \xff\xfe here\n")
    assert list(Corpus(path)) == [["good", "words", "here"]]


def test_a_missing_path_is_named():
    with pytest.raises(FileNotFoundError, match="No such corpus file or folder: '/nope/corpus.txt'"):
        Corpus("/nope/corpus.txt")


def test_a_folder_without_text_files_says_what_it_looked_for(tmp_path):
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    with pytest.raises(ValueError, match="holds no text files"):
        Corpus(tmp_path)


def test_a_glob_matching_nothing_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="No file matches the pattern"):
        Corpus(str(tmp_path / "*.txt"))


def test_compressed_files_in_folders_are_found(tmp_path):
    shutil.copy(LEE, tmp_path / "x.cor")
    with gzip.open(tmp_path / "y.txt.gz", "wt") as file:
        file.write("one two\n")
    assert Corpus(tmp_path).files == [str(tmp_path / "x.cor"), str(tmp_path / "y.txt.gz")]


def _truncated(compress, tmp_path, name):
    text = "".join(f"line {i} of a corpus that compresses well enough\n" for i in range(5000)).encode()
    packed = compress(text)
    path = tmp_path / name
    path.write_bytes(packed[: len(packed) // 2])
    return path


@pytest.mark.parametrize(("compress", "name"), [(gzip.compress, "cut.txt.gz"), (bz2.compress, "cut.txt.bz2")])
def test_a_truncated_compressed_file_is_named_not_read_silently_in_part(compress, name, tmp_path):
    path = _truncated(compress, tmp_path, name)
    with pytest.raises(ValueError, match=f"Corpus file '{path}' cannot be read to the end"):
        list(Corpus(path))


def test_a_file_that_is_not_gzip_is_named(tmp_path):
    (tmp_path / "plain.txt.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="plain.txt.gz' cannot be read to the end \\(BadGzipFile"):
        list(Corpus(tmp_path / "plain.txt.gz"))


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"lowercase": "no"}, TypeError, "`lowercase` must be True or False"),
        ({"min_token_length": 0}, ValueError, "`min_token_length` must be a positive integer"),
    ],
)
def test_corpus_options_are_checked(options, error, message):
    with pytest.raises(error, match=message):
        Corpus(datapath("lee_background.cor"), **options)
