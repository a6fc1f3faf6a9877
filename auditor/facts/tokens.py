"""What a file's text must contain for a query to match anything in it.

Why: parsing a Python module is the largest cost of an audit, and most queries look for a
few names or patterns. A plain substring test over the source (fast C code) rules out the
files that cannot match before any of them is parsed (`PythonIndex.select(mentions=...)`).
Every function here returns a *guaranteed superset* filter: a tuple of strings one of which
the source of any file that can match contains, or None when nothing can be promised.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator

class TextFilter:
    """A pre-filter over a file's source: one of `tokens` occurs in it (answered for all
    files at once by a word index) and, when given, a finer test of the few files left:
    `after` must match right after an occurrence of a token that ends a word (`train_test_split`
    followed by `(` or ` as`) or, with `word`, right after a word holding a token for which
    `word(w)` holds (`manual_seed`); or `confirm` must be found somewhere in the text."""

    __slots__ = ("tokens", "confirm", "after", "fold", "word", "whole", "_ends", "_words_then")

    def __init__(self, tokens: tuple[str, ...], confirm: re.Pattern[str] | None = None, *,
                 after: re.Pattern[str] | None = None, fold: bool = False, word=None,
                 whole: bool = False) -> None:
        self.tokens = tokens      # with `fold`, lower-case tokens sought in the lower-cased text
        self.confirm = confirm
        self.after = after
        self.fold = fold
        self.word = word          # a test of the whole word around a token (a compiled regex's match)
        # each token is a whole identifier (a called name, a keyword), never part of one: in a
        # .py file it stands as a word of its own (a notebook's JSON may glue `\n` to it)
        self.whole = whole
        self._ends = None         # `_after` as one regex, compiled when first needed
        self._words_then = None   # the same with a word start before each token (`in_module`)

    @property
    def key(self) -> tuple:
        return (self.tokens, self.confirm.pattern if self.confirm is not None else None,
                self.after.pattern if self.after is not None else None, self.fold,
                getattr(self.word, "__self__", self.word), self.whole)

    @property
    def verify(self):
        """The finer test, or None when the tokens say it all."""
        if self.after is not None:
            return self._after
        if self.confirm is not None:
            return self.confirm.search
        return None

    def _after(self, text: str) -> bool:
        """No word boundary is asked for before a token: a notebook's JSON writes
        `\\ntrain_test_split(` for a line's start (with `word`, the word is cut there too)."""
        if self.word is None:
            # one C-speed search: a token ending a word, then `after` (for a token that
            # overlaps itself, `aa` in `aaa(`, this finds the later occurrence too; a
            # superset stays a superset)
            if self._ends is None:
                self._ends = re.compile(f"(?:{_alternation(self.tokens)})(?!\\w)(?:{self.after.pattern})",
                                        self.after.flags)
            return self._ends.search(text) is not None
        match, word, n = self.after.match, self.word, len(text)
        for t in self.tokens:
            i = text.find(t)
            while i != -1:
                start, end = i, i + len(t)
                while start > 0 and _is_word(text[start - 1]):
                    start -= 1
                while end < n and _is_word(text[end]):
                    end += 1
                if (word(text[start:end]) or start > 0 and text[start - 1] == "\\" and word(text[start + 1:end])) \
                        and match(text, end):
                    return True
                i = text.find(t, end)
        return False

    def in_module(self, text: str) -> bool:
        """This test for a `.py` file's own text: a `whole` identifier stands there as a word of
        its own (`def split_sample(` calls no `sample`). Non-ASCII text is not ruled out:
        Python reads identifiers NFKC-normalised (`ｓample` is `sample`)."""
        if not (self.whole and self.after is not None and self.word is None and not self.fold):
            return self(text)
        if not text.isascii():
            return True
        if self._words_then is None:
            self._words_then = re.compile(f"(?<!\\w)(?:{_alternation(self.tokens)})(?!\\w)(?:{self.after.pattern})",
                                          self.after.flags)
        return self._words_then.search(text) is not None

    def __call__(self, text: str) -> bool:
        haystack = text.lower() if self.fold else text
        if not any(t in haystack for t in self.tokens):
            return False
        verify = self.verify
        return verify is None or bool(verify(text))

    def __repr__(self) -> str:
        return f"TextFilter{self.key!r}"


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _alternation(tokens: Iterable[str]) -> str:
    return "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))


def _plain_last_names(patterns: list[str]) -> tuple[str, ...] | None:
    """Last names of plain patterns; None when one is a glob (no syntax can be promised)."""
    if any(any(c in p for c in "*?[") for p in patterns):
        return None
    return name_tokens(patterns)


def call_filter(patterns: Iterable[str]) -> TextFilter | None:
    """For calls whose resolved name matches one of `patterns` (`NameMatcher` rules): the
    source writes the last name either as the callee (`.fit(`, `KFold (`) or in the import
    that aliases it (`import ... train_test_split as tts`). None: no filter possible."""
    patterns = list(patterns)
    tokens = name_tokens(patterns)
    if tokens is None:
        return None
    names = _plain_last_names(patterns)
    if names is None:
        return TextFilter(tokens)
    return TextFilter(names, after=CALL_AFTER, whole=True)


def decorator_filter(patterns: Iterable[str]) -> TextFilter | None:
    """For decorators matching `patterns`: `@x.name` / `@name(...)`, or an aliasing import.
    (No word boundary before a name: a notebook's JSON writes `\\nclass X(` at a line start.)"""
    return _written_filter(patterns, lambda alts: rf"@[ \t]*(?:\w+[ \t]*\.[ \t]*)*(?:{alts})\b")


def base_filter(patterns: Iterable[str]) -> TextFilter | None:
    """For classes derived from a base matching `patterns`: the name in a class statement's
    base list (before its colon), or an aliasing import."""
    return _written_filter(patterns, lambda alts: rf"class\s+\w+\s*\([^:]*?(?:{alts})\b")


def _written_filter(patterns: Iterable[str], where) -> TextFilter | None:
    """Tokens of the names, confirmed by `where(alternation)` (the syntax that uses a name)
    or by an import aliasing one (`name as x`); only the tokens when a pattern is a glob."""
    patterns = list(patterns)
    tokens = name_tokens(patterns)
    names = _plain_last_names(patterns)
    if tokens is None or names is None:
        return TextFilter(tokens) if tokens else None
    alts = _alternation(names)
    return TextFilter(tokens, _Either(re.compile(where(alts)), re.compile(rf"(?:{alts})[\s\\]+as\b")))


class _Either:
    """A search for either of two patterns, each searched on its own: one led by a literal
    (`@`, `class`) lets `re` jump between its occurrences, where their alternation must be
    tried at every position (INFRA004's decorator filter: 50 -> 10 us per file)."""

    __slots__ = ("first", "second", "pattern")

    def __init__(self, first: re.Pattern[str], second: re.Pattern[str]) -> None:
        self.first, self.second = first, second
        self.pattern = f"{first.pattern}|{second.pattern}"

    def search(self, text: str):
        return self.first.search(text) or self.second.search(text)


def keyword_filter(names: Iterable[str]) -> TextFilter | None:
    """For calls passing one of these keyword arguments (`random_state=...`)."""
    tokens = tuple(sorted({n for n in names if n and n != "**"}))
    if not tokens:
        return None
    return TextFilter(tokens, after=KEYWORD_AFTER, whole=True)


# What follows a call's name in the source: its `(` (after spaces, a line continuation or the
# `)` of a parenthesised callee) or, in an import aliasing it, `as`.
CALL_AFTER = re.compile(r"(?:[\s)\\]*\(|[\s\\]+as\b)")
KEYWORD_AFTER = re.compile(r"[\s\\]*=(?!=)")        # `random_state=` but not `random_state ==`
_GLOB_SPLIT = re.compile(r"\[[^\]]*\]|[*?.\[\]]")
_UNSAFE_CHARS = frozenset("\"'\\{}")
MIN_TOKEN = 2


def name_tokens(patterns: Iterable[str]) -> tuple[str, ...] | None:
    """For call, base and decorator names matched like `NameMatcher` does.

    Every dotted part of a resolved name is written somewhere in the file (in the call itself
    or in the import that aliased it), so the last part of a plain pattern, or the longest
    literal run of a glob, must occur in the text."""
    out: set[str] = set()
    for p in patterns:
        p = p.lstrip(".")
        if any(c in p for c in "*?["):
            runs = [r for r in _GLOB_SPLIT.split(p) if r]
            if not runs:
                return None
            specific = [r for r in runs if len(r) >= 3]
            out.add(specific[-1] if specific else max(runs, key=len))  # `mlflow.shap.*`: "shap"
        elif p:
            out.add(p.rsplit(".", 1)[-1])
        else:
            return None
    return tuple(sorted(out)) if out else None


def regex_filter(patterns: Iterable[str], ignore_case: bool = False) -> TextFilter | None:
    """`regex_tokens` as a filter; a case-insensitive pattern gets lower-case tokens sought
    in the lower-cased source."""
    patterns = list(patterns)
    tokens = regex_tokens(patterns)
    if tokens is not None and not ignore_case:
        return TextFilter(tokens)
    folded = regex_tokens(patterns, lower=True)
    return TextFilter(folded, fold=True) if folded is not None else None


def regex_tokens(patterns: Iterable[str], ignore_case: bool = False, *, lower: bool = False) -> tuple[str, ...] | None:
    """For regexes searched in string literals or names: for each pattern, literal text every
    match contains (one of the alternatives of its best required part); None if some pattern
    requires nothing literal, is case-insensitive, or needs characters a source file may
    write escaped (quotes, backslashes, braces, non-ASCII). `lower`: lower-cased tokens, for
    a search of the lower-cased text (then case flags in the pattern do not matter)."""
    if ignore_case:
        return None
    out: set[str] = set()
    for pattern in patterns:
        try:
            from re import _parser as sre_parse  # type: ignore[attr-defined]
        except ImportError:  # pragma: no cover - Python < 3.11
            import sre_parse  # type: ignore[no-redef]
        try:
            parsed = sre_parse.parse(pattern)
        except Exception:
            return None
        if parsed.state.flags & re.IGNORECASE and not lower:
            return None
        need = _required(list(parsed), lower)
        if need is None or any(len(t) < MIN_TOKEN or not _safe(t) for t in need):
            return None
        out |= {t.lower() for t in need} if lower else need
    return tuple(sorted(out)) if out else None


def _safe(token: str) -> bool:
    """Written the same in any source file: printable ASCII without quotes, backslashes or
    braces (which a string literal may escape, or an f-string use for holes)."""
    return token.isascii() and token.isprintable() and _UNSAFE_CHARS.isdisjoint(token)


def _required(items: list, lower: bool = False) -> set[str] | None:
    """Alternatives one of which every match of this sequence contains (None: nothing)."""
    from re import _constants as c  # type: ignore[attr-defined]

    candidates: list[set[str]] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            candidates.append({"".join(run)})
            run.clear()

    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        close_run()
        sub = None
        if op is c.SUBPATTERN:
            _group, add_flags, _del_flags, p = av
            if add_flags & re.IGNORECASE and not lower:
                return None   # a case-insensitive group: no promise about the whole match
            sub = _required(list(p), lower)
        elif op is c.BRANCH:
            alts = [_required(list(p), lower) for p in av[1]]
            if all(a is not None for a in alts):
                sub = set().union(*alts)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, _high, p = av
            if low >= 1:
                sub = _required(list(p), lower)
        elif op is getattr(c, "ATOMIC_GROUP", None):
            sub = _required(list(av), lower)
        if sub:
            candidates.append(sub)
    close_run()
    if not candidates:
        return None
    # the most selective requirement: longest shortest alternative, then fewest alternatives
    return max(candidates, key=lambda alts: (min(len(a) for a in alts), -len(alts)))


# ---------------------------------------------------------------------------- tests of one file
# For checks that look at a few files each (and stop early), a test of one file's text is
# cheaper than a filter answered for all files at once: `text_passes(idx, m, test)` with one of
# these (a TextFilter, an AnyCase, or a function of the text).
class AnyCase:
    """A case-insensitive text pre-filter (for `text_passes`): `pattern` (a regex written in
    lower case) matches the text in any letter case, and is tried only on texts holding one
    of `words` (a fast substring test). It stands for a case-insensitive regex of a check
    when every match of that regex also matches `pattern`.

    ASCII text is lower-cased and searched case-sensitively (exact for ASCII, and several
    times faster than `(?i)`); other text is searched with `(?i)`, which folds case the way
    the checks' own regexes do (`(?i)i` also matches "İ" and "ı", which `str.lower` does not
    turn into "i")."""

    __slots__ = ("words", "lower", "fold")

    def __init__(self, pattern: str, words: tuple[str, ...]) -> None:
        self.words = words
        self.lower = re.compile(pattern)
        self.fold = re.compile(pattern, re.IGNORECASE)

    def __call__(self, text: str) -> bool:
        return self.find(text) is not None

    def find(self, text: str) -> tuple[str, Iterator[re.Match[str]]] | None:
        """(the text searched, its matches) when there is one; None otherwise."""
        if text.isascii():
            text = text.lower()
            if not any(w in text for w in self.words):
                return None
            rx = self.lower
        else:
            rx = self.fold
        matches = rx.finditer(text)
        first = next(matches, None)
        if first is None:
            return None
        return text, itertools.chain((first,), matches)


def text_passes(idx, m, test: Callable[[str], bool]) -> bool:
    """`idx.mentions` for a test it cannot express (an `AnyCase`, a call written before its
    `(`): whether the source of `m` passes; True when that cannot be known (unreadable
    source, pre-filters switched off). Python reads identifiers NFKC-normalised (`ｆit` is
    `fit`) but string literals as written, so a non-ASCII text passes when either form does."""
    if not idx.prefilter:
        return True
    text = idx.filter_text(m.path)
    if text is None or test(text):
        return True
    return not text.isascii() and test(idx.normalised_text(m.path))


def _minimal(tokens) -> tuple[str, ...]:
    """The tokens without those containing another one (the shorter is found wherever it is)."""
    tokens = set(tokens)
    return tuple(sorted(t for t in tokens if not any(o != t and o in t for o in tokens)))


def has_any(tokens) -> Callable[[str], bool]:
    """`text_passes` test: the text contains one of `tokens` (for one file; `idx.mentioning`
    answers the same question for all files at once from the word index)."""
    kept = _minimal(tokens)
    return lambda text: any(t in text for t in kept)


def calls_written(names) -> TextFilter:
    """Test for calls whose resolved name ends with one of `names` (a last dotted name, or
    its end: `Classifier` for `*Classifier`): written before the call's `(` or an aliasing
    import's `as` (see `CALL_AFTER`)."""
    names = set(names)   # a name ending with another one is found through the shorter one
    return TextFilter(tuple(sorted(n for n in names if not any(o != n and n.endswith(o) for o in names))),
                      after=CALL_AFTER)


def keywords_written(names) -> TextFilter:
    """Test for calls passing one of these keyword arguments (`loss=...`)."""
    return TextFilter(tuple(sorted(set(names))), after=KEYWORD_AFTER, whole=True)


def either(*tests: Callable[[str], bool]) -> Callable[[str], bool]:
    """`text_passes` test passing when one of `tests` does."""
    return lambda text: any(t(text) for t in tests)


