"""Which files contain a string: an inverted index of the words of many texts.

Why: pre-filters ask "which modules mention `train_test_split`?" for a few hundred
different strings per audit. Scanning every source for every string costs ~10 ms per string
on a 20 MB tree; an index of each file's distinct words (built once, ~0.5 s for that tree)
answers a word-character string by scanning only the vocabulary: a string made of word
characters occurs in a text exactly when it occurs inside one of the text's words. Other
strings (`://`) fall back to scanning the texts.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable

_WORD = re.compile(r"\w+")
_NON_WORD = str.maketrans({chr(i): " " for i in range(128) if not (chr(i).isalnum() or chr(i) == "_")})


class WordIndex:
    """Distinct words of each text -> the texts containing them (by position in `paths`)."""

    def __init__(self, paths: Iterable[str], text_of: Callable[[str], str | None]) -> None:
        self.paths = list(paths)
        self._text_of = text_of
        postings: defaultdict[str, list[int]] = defaultdict(list)   # (the fastest way to group here)
        unknown: list[int] = []
        non_ascii: list[int] = []
        findall = _WORD.findall
        for i, path in enumerate(self.paths):
            text = text_of(path)
            if text is None:
                unknown.append(i)    # unreadable: no promise, it passes every filter
                continue
            if text.isascii():   # C-speed: non-word characters to spaces, then split
                words = set(text.translate(_NON_WORD).split())
            else:
                non_ascii.append(i)
                words = set(findall(text))
                # Python reads identifiers NFKC-normalised (`ｆit` is `fit`): index both forms
                words |= {unicodedata.normalize("NFKC", w) for w in words if not w.isascii()}
            for w in words:
                postings[w].append(i)
        self._postings = dict(postings)
        self._unknown = unknown
        # case-insensitive regexes fold more than `str.lower` does (`(?i)i` matches "İ"): a
        # folded query cannot rule out a non-ASCII text
        self._non_ascii = non_ascii
        self._vocab = list(postings)
        self._starts = _starts(self._vocab)
        self._blob = "\n".join(self._vocab)
        self._lower: tuple[str, list[int]] | None = None

    def with_words(self, words: Iterable[str] = (), suffixes: tuple[str, ...] = ()) -> set[str]:
        """Paths whose text has one of `words` as a whole word, or a word ending with one of
        `suffixes` (plus unreadable ones)."""
        found: set[int] = set(self._unknown)
        postings = self._postings
        for w in words:
            found.update(postings.get(w, ()))
        if suffixes:
            for w in self._vocab:
                if w.endswith(suffixes):
                    found.update(postings[w])
        return {self.paths[i] for i in found}

    def containing(self, token: str, fold: bool = False) -> set[str]:
        """Paths whose text (lower-cased with `fold`; then give `token` in lower case)
        contains `token`, plus those whose text could not be read (and, with `fold`, every
        non-ASCII text)."""
        found: set[int] = set(self._unknown)
        if fold:
            found.update(self._non_ascii)
        if token and _WORD.fullmatch(token):
            if fold:
                if self._lower is None:
                    lower = [w.lower() for w in self._vocab]
                    self._lower = ("\n".join(lower), _starts(lower))
                blob, starts = self._lower
            else:
                blob, starts = self._blob, self._starts
            vocab, postings = self._vocab, self._postings
            i = blob.find(token)
            while i != -1:
                k = bisect.bisect_right(starts, i) - 1
                found.update(postings[vocab[k]])
                nxt = starts[k + 1] if k + 1 < len(starts) else len(blob)
                i = blob.find(token, nxt)
        else:
            for i, path in enumerate(self.paths):
                text = self._text_of(path)
                if text is not None and token in (text.lower() if fold else text):
                    found.add(i)
        return {self.paths[i] for i in found}


def _starts(words: Iterable[str]) -> list[int]:
    out, pos = [], 0
    for w in words:
        out.append(pos)
        pos += len(w) + 1
    return out
