"""Keras 2's `keras.preprocessing.text`: `Tokenizer`, `text_to_word_sequence`, `one_hot`, `hashing_trick`.

The word-level text utilities of the classic IMDB / Reuters tutorials, with the semantics of
Keras's legacy implementation: index 0 is never a word, words are indexed by falling count (ties
in order of first appearance), the `oov_token` (if any) takes index 1, and `num_words` keeps only
the indices below it when texts are converted (fitting always indexes every word).
"""
import collections
import hashlib
import json
import warnings

import numpy as np

__all__ = ["Tokenizer", "tokenizer_from_json", "text_to_word_sequence", "one_hot", "hashing_trick"]

_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text, filters=_FILTERS, lower=True, split=" "):
    """Splits a text into a list of words.

    Args:
        input_text: the text (a string).
        filters: characters to remove (each is replaced by `split`); by default all punctuation,
            tabs and line breaks.
        lower: whether to lowercase the text first.
        split: the word separator.

    Returns:
        The list of non-empty words.
    """
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [w for w in input_text.split(split) if w]


def one_hot(input_text, n, filters=_FILTERS, lower=True, split=" ", analyzer=None):
    """Encodes a text as a list of word indices in `[1, n)` with Python's `hash`.

    Not a one-hot encoding: this is `hashing_trick` with `hash_function=hash`. Distinct words may
    share an index, and Python's string hash changes between processes unless
    `PYTHONHASHSEED` is set; use `hashing_trick(..., hash_function="md5")` for stable indices.

    Args:
        input_text: the text (a string).
        n: the size of the index space (indices run from 1 to `n - 1`).
        filters: characters to remove, as in `text_to_word_sequence`.
        lower: whether to lowercase the text first.
        split: the word separator.
        analyzer: a function from the text to its words, used instead of
            `text_to_word_sequence` when given.

    Returns:
        A list of integer word indices.
    """
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower, split=split,
                         analyzer=analyzer)


def hashing_trick(text, n, hash_function=None, filters=_FILTERS, lower=True, split=" ", analyzer=None):
    """Encodes a text as a list of word indices in `[1, n)` by hashing each word.

    Each word `w` becomes `hash_function(w) % (n - 1) + 1`; index 0 is never produced.

    Args:
        text: the text (a string).
        n: the size of the index space (indices run from 1 to `n - 1`).
        hash_function: `None` (Python's `hash`, which changes between processes unless
            `PYTHONHASHSEED` is set), `"md5"` (stable across processes), or a function from a
            string to an integer.
        filters: characters to remove, as in `text_to_word_sequence`.
        lower: whether to lowercase the text first.
        split: the word separator.
        analyzer: a function from the text to its words, used instead of
            `text_to_word_sequence` when given.

    Returns:
        A list of integer word indices.

    Raises:
        ValueError: if `hash_function` is neither `None`, `"md5"` nor callable.
    """
    if hash_function is None:
        hash_function = hash
    elif isinstance(hash_function, str) and hash_function == "md5":
        def hash_function(w):
            return int(hashlib.md5(w.encode()).hexdigest(), 16)
    elif not callable(hash_function):
        raise ValueError(f'hashing_trick: hash_function must be None, "md5" or a callable, '
                         f"got {hash_function!r}")
    if analyzer is None:
        seq = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    else:
        seq = analyzer(text)
    return [hash_function(w) % (n - 1) + 1 for w in seq]


class Tokenizer:
    """Turns texts into sequences of word indices, or into vectors (bag of words, tf-idf).

    `fit_on_texts` builds the vocabulary: `word_index` numbers the words by falling count (ties in
    order of first appearance) from 1 (index 0 is never a word); with an `oov_token`, that token
    takes index 1. Conversions then keep only indices below `num_words`; other words are dropped,
    or replaced by the `oov_token` when there is one.

    Args:
        num_words: if set, only indices below `num_words` (the `num_words - 1` most frequent
            words) are kept when converting texts or sequences.
        filters: characters removed from the texts (each is replaced by `split`); by default all
            punctuation, tabs and line breaks.
        lower: whether to lowercase the texts.
        split: the word separator.
        char_level: whether every character is a token.
        oov_token: if given, added to `word_index` (index 1) and used for words outside the
            vocabulary (or beyond `num_words`) in `texts_to_sequences`.
        analyzer: a function from a text to its words, used instead of `text_to_word_sequence`
            when given (not stored by `get_config`).
        document_count: the number of documents already seen (as restored by
            `tokenizer_from_json`).

    Attributes:
        word_counts: OrderedDict word -> count over all fitted texts, in order of appearance.
        word_docs: dict word -> number of fitted texts containing it.
        index_docs: dict index -> number of fitted texts (or sequences) containing it.
        word_index: dict word -> index.
        index_word: dict index -> word.
        document_count: the number of texts (or sequences) fitted.

    Example:

        tokenizer = Tokenizer(num_words=10000, oov_token="<OOV>")
        tokenizer.fit_on_texts(texts)
        sequences = tokenizer.texts_to_sequences(texts)
        matrix = tokenizer.texts_to_matrix(texts, mode="binary")
    """

    def __init__(self, num_words=None, filters=_FILTERS, lower=True, split=" ", char_level=False,
                 oov_token=None, analyzer=None, document_count=0, **kwargs):
        if "nb_words" in kwargs:
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed `num_words`.")
            num_words = kwargs.pop("nb_words")
        if kwargs:
            raise TypeError(f"Tokenizer: unrecognized keyword arguments: {sorted(kwargs)}")
        self.word_counts = collections.OrderedDict()
        self.word_docs = collections.defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = collections.defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    def _tokens(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is None:
            return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)
        return self.analyzer(text)

    def fit_on_texts(self, texts):
        """Updates the vocabulary from texts (call before `texts_to_sequences` / `texts_to_matrix`).

        Args:
            texts: a list of strings, or of lists of tokens (used as they are, lowercased if
                `lower`); a generator works too.
        """
        for text in texts:
            self.document_count += 1
            seq = self._tokens(text)
            for w in seq:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(seq):
                self.word_docs[w] += 1
        # sorted() is stable: words of equal count keep their order of first appearance.
        vocab = [] if self.oov_token is None else [self.oov_token]
        vocab.extend(w for w, _ in sorted(self.word_counts.items(), key=lambda wc: wc[1], reverse=True))
        self.word_index = dict(zip(vocab, range(1, len(vocab) + 1)))
        self.index_word = {i: w for w, i in self.word_index.items()}
        for w, c in list(self.word_docs.items()):
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences):
        """Updates `document_count` and `index_docs` from sequences (needed for `"tfidf"` mode).

        Only needed before `sequences_to_matrix` when `fit_on_texts` was not called.

        Args:
            sequences: a list of sequences of word indices.
        """
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences(self, texts):
        """Converts texts to lists of word indices.

        Words outside `word_index`, or with an index of `num_words` or more, are dropped, or
        become the `oov_token`'s index when there is one.

        Args:
            texts: a list of strings, or of lists of tokens.

        Returns:
            A list of lists of integers.
        """
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Yields the word indices of each text in turn, as `texts_to_sequences`.

        Args:
            texts: a list of strings, or of lists of tokens; a generator works too.

        Yields:
            A list of integers per text.
        """
        num_words = self.num_words
        oov_index = self.word_index.get(self.oov_token)
        for text in texts:
            vect = []
            for w in self._tokens(text):
                i = self.word_index.get(w)
                if i is not None:
                    if num_words and i >= num_words:
                        if oov_index is not None:
                            vect.append(oov_index)
                    else:
                        vect.append(i)
                elif self.oov_token is not None:
                    vect.append(oov_index)
            yield vect

    def sequences_to_texts(self, sequences):
        """Converts lists of word indices back to texts (words joined by spaces).

        Unknown indices, or indices of `num_words` or more, are dropped, or become the
        `oov_token` when there is one.

        Args:
            sequences: a list of sequences of word indices.

        Returns:
            A list of strings.
        """
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """Yields the text of each sequence in turn, as `sequences_to_texts`.

        Args:
            sequences: a list of sequences of word indices; a generator works too.

        Yields:
            A string per sequence.
        """
        num_words = self.num_words
        oov_index = self.word_index.get(self.oov_token)
        for seq in sequences:
            vect = []
            for num in seq:
                word = self.index_word.get(num)
                if word is not None:
                    if num_words and num >= num_words:
                        if oov_index is not None:
                            vect.append(self.index_word[oov_index])
                    else:
                        vect.append(word)
                elif self.oov_token is not None:
                    vect.append(self.index_word[oov_index])
            yield " ".join(vect)

    def texts_to_matrix(self, texts, mode="binary"):
        """Converts texts to a matrix of word vectors (one row per text).

        Args:
            texts: a list of strings, or of lists of tokens.
            mode: `"binary"`, `"count"`, `"tfidf"` or `"freq"`, as in `sequences_to_matrix`.

        Returns:
            A float64 NumPy array of shape `(len(texts), num_words)`.
        """
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """Converts sequences of word indices to a matrix of word vectors (one row per sequence).

        Column `j` of a row holds, for index `j` of that sequence: `"binary"`: 1; `"count"`: its
        count `c`; `"freq"`: `c / len(sequence)`; `"tfidf"`:
        `(1 + log(c)) * log(1 + document_count / (1 + index_docs[j]))`. Indices of `num_words`
        or more are left out.

        Args:
            sequences: a list of sequences of word indices.
            mode: `"binary"`, `"count"`, `"tfidf"` or `"freq"`.

        Returns:
            A float64 NumPy array of shape `(len(sequences), num_words)` (`len(word_index) + 1`
            columns when `num_words` is not set).

        Raises:
            ValueError: if `num_words` is not set and nothing was fitted, if `mode` is `"tfidf"`
                and nothing was fitted, or if `mode` is unknown.
        """
        if not self.num_words:
            if not self.word_index:
                raise ValueError("Tokenizer: specify a dimension (the `num_words` argument), "
                                 "or fit on some text data first.")
            num_words = len(self.word_index) + 1
        else:
            num_words = self.num_words
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: fit the Tokenizer on some data before using tfidf mode.")
        if mode not in _MODES:
            raise ValueError(f"Tokenizer: mode must be one of {_MODES}, got {mode!r}")

        x = np.zeros((len(sequences), num_words))
        for i, seq in enumerate(sequences):
            if not seq:
                continue
            counts = collections.defaultdict(int)
            for j in seq:
                if j < num_words:
                    counts[j] += 1
            for j, c in counts.items():
                if mode == "count":
                    x[i][j] = c
                elif mode == "freq":
                    x[i][j] = c / len(seq)
                elif mode == "binary":
                    x[i][j] = 1
                else:  # tfidf: weighting scheme 2 of https://en.wikipedia.org/wiki/Tf%E2%80%93idf
                    tf = 1 + np.log(c)
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[i][j] = tf * idf
        return x

    def get_config(self):
        """The Tokenizer's configuration and vocabulary (dicts as JSON strings; no `analyzer`).

        Returns:
            A dict, the `"config"` entry of `to_json`.
        """
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """The Tokenizer as a JSON string, for `tokenizer_from_json`.

        Args:
            **kwargs: passed to `json.dumps`.

        Returns:
            A JSON string `{"class_name": "Tokenizer", "config": get_config()}`.
        """
        return json.dumps({"class_name": self.__class__.__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """Rebuilds a `Tokenizer` from `Tokenizer.to_json()` (an `analyzer` is not restored).

    Args:
        json_string: the JSON string.

    Returns:
        A fitted `Tokenizer`.
    """
    config = dict(json.loads(json_string).get("config"))
    word_counts = json.loads(config.pop("word_counts"), object_pairs_hook=collections.OrderedDict)
    word_docs = json.loads(config.pop("word_docs"))
    index_docs = json.loads(config.pop("index_docs"))
    index_word = json.loads(config.pop("index_word"))
    word_index = json.loads(config.pop("word_index"))
    tokenizer = Tokenizer(**config)
    # JSON turns integer keys into strings; the dicts stay updatable by further fitting.
    tokenizer.word_counts = word_counts
    tokenizer.word_docs = collections.defaultdict(int, word_docs)
    tokenizer.index_docs = collections.defaultdict(int, {int(k): v for k, v in index_docs.items()})
    tokenizer.index_word = {int(k): v for k, v in index_word.items()}
    tokenizer.word_index = word_index
    return tokenizer
