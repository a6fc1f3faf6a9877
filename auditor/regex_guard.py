"""Refuse user-supplied regular expressions that can backtrack catastrophically.

Python's `re` backtracks. Built-in rules are reviewed; patterns from user rule files are
parsed and refused, when the rule file is loaded (a configuration error, exit 2), if they
contain a construct that can take super-linear time on crafted text:
- a repeat nested inside an unbounded repeat (`(a+)+`), an alternation inside an unbounded
  repeat (`(a|ab)*`), a backreference (exponential);
- two unbounded repeats that can match the same characters with nothing required between
  them (`.*.*`, `\\s*\\s*$`, `\\d+\\w*`): polynomial, O(n^k) for k of them;
- more than MAX_UNBOUNDED_REPEATS unbounded repeats in all.
What passes can still be quadratic on one long line (`.*x` tries every start), so user
patterns are also matched line by line on at most USER_PATTERN_LINE_CAP characters
(`Project.find_first(per_line=True)`), under the per-file time budget.
"""

from __future__ import annotations


try:  # Python 3.11+
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

MAX_PATTERN_LENGTH = 1000
MAX_UNBOUNDED_REPEATS = 4
_UNBOUNDED = 50  # repeats with a larger upper bound count as unbounded

_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
if hasattr(sre_constants, "POSSESSIVE_REPEAT"):
    _REPEATS.add(sre_constants.POSSESSIVE_REPEAT)
_ZERO_WIDTH = {sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT}

# Characters on which two character sets are compared for overlap: ASCII, a few non-ASCII
# letters, digits and spaces, plus every literal of the pattern (added per pattern).
_BASE_SAMPLE = [chr(i) for i in range(128)] + list("é߀…\u00a0\u2028\u0663あЖ")


class UnsafeRegex(ValueError):
    """The pattern may take super-linear time; str(self) explains why."""


def _is_unbounded(hi) -> bool:
    return hi is sre_constants.MAXREPEAT or hi > _UNBOUNDED


def _category_test(cat):
    c = sre_constants
    table = {
        c.CATEGORY_DIGIT: lambda ch: ch.isdecimal(),
        c.CATEGORY_NOT_DIGIT: lambda ch: not ch.isdecimal(),
        c.CATEGORY_SPACE: lambda ch: ch.isspace(),
        c.CATEGORY_NOT_SPACE: lambda ch: not ch.isspace(),
        c.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_",
        c.CATEGORY_NOT_WORD: lambda ch: not (ch.isalnum() or ch == "_"),
    }
    return table.get(cat, lambda ch: True)


def _single_char_test(op, arg):
    """A predicate for one single-character item, or None when the item is not one."""
    c = sre_constants
    if op == c.LITERAL:
        return lambda ch: ch.lower() == chr(arg).lower()  # case-folding only widens: safe side
    if op == c.NOT_LITERAL:
        return lambda ch: ch != chr(arg)
    if op == c.ANY:
        return lambda ch: True
    if op == c.CATEGORY:
        return _category_test(arg)
    if op == c.IN:
        negate = bool(arg) and arg[0][0] == c.NEGATE
        tests = []
        for iop, iarg in arg[1:] if negate else arg:
            if iop == c.LITERAL:
                tests.append(lambda ch, v=iarg: ch.lower() == chr(v).lower())
            elif iop == c.RANGE:
                tests.append(lambda ch, lo=iarg[0], hi=iarg[1]: lo <= ord(ch) <= hi)
            elif iop == c.CATEGORY:
                tests.append(_category_test(iarg))
            else:
                tests.append(lambda ch: True)
        if negate:
            return lambda ch: not any(t(ch) for t in tests)
        return lambda ch: any(t(ch) for t in tests)
    return None


class _Checker:
    def __init__(self, pattern: str) -> None:
        self.sample = _BASE_SAMPLE + sorted(set(pattern) - set(_BASE_SAMPLE))
        self.unbounded = 0

    def chars(self, items) -> frozenset[str]:
        """The sample characters a sub-pattern can consume (over-approximated)."""
        out: set[str] = set()
        for op, arg in items:
            test = _single_char_test(op, arg)
            if test is not None:
                out.update(ch for ch in self.sample if test(ch))
            elif op in _REPEATS:
                out |= self.chars(arg[2])
            elif op == sre_constants.SUBPATTERN:
                out |= self.chars(arg[-1])
            elif op == sre_constants.BRANCH:
                for branch in arg[1]:
                    out |= self.chars(branch)
            elif op in _ZERO_WIDTH:
                continue
            else:
                out.update(self.sample)
        return frozenset(out)

    def sequence(self, items, inside_unbounded: bool) -> None:
        """Check one sequence; `open_set` is the class of the last unbounded repeat that no
        required item has closed off yet."""
        open_set: frozenset[str] | None = None
        open_text = ""
        for op, arg in items:
            if op in _REPEATS:
                lo, hi, sub = arg
                unbounded = _is_unbounded(hi)
                if inside_unbounded and unbounded:
                    raise UnsafeRegex("nested unbounded repetition")
                self.sequence(sub, inside_unbounded or unbounded)
                if unbounded:
                    self.unbounded += 1
                    if self.unbounded > MAX_UNBOUNDED_REPEATS:
                        raise UnsafeRegex(f"more than {MAX_UNBOUNDED_REPEATS} unbounded repeats")
                    cls = self.chars(sub)
                    if open_set is not None and open_set & cls:
                        raise UnsafeRegex(f"adjacent unbounded repeats can match the same text "
                                          f"({open_text} then another); put a required character "
                                          "between them or merge them")
                    open_set = cls
                    open_text = _describe(sub)
                elif lo > 0:
                    open_set = None  # a required item separates what comes before and after
            elif op == sre_constants.SUBPATTERN:
                sub = arg[-1]
                self.sequence(sub, inside_unbounded)
                if any(o not in _ZERO_WIDTH for o, _ in sub):
                    open_set = None
            elif op == sre_constants.BRANCH:
                if inside_unbounded:
                    raise UnsafeRegex("alternation inside a repetition")
                for branch in arg[1]:
                    self.sequence(branch, inside_unbounded)
                open_set = None
            elif op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS):
                raise UnsafeRegex("backreference")
            elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
                self.sequence(arg[1], inside_unbounded)
            elif op == getattr(sre_constants, "ATOMIC_GROUP", None):
                self.sequence(arg, inside_unbounded)
                open_set = None
            elif op == sre_constants.AT:
                continue  # zero-width: separates nothing
            else:
                open_set = None  # a required single character


def _describe(items) -> str:
    if len(items) == 1:
        op, arg = items[0]
        if op == sre_constants.ANY:
            return "`.`-repeat"
        if op == sre_constants.LITERAL:
            return f"`{chr(arg)}`-repeat"
        if op == sre_constants.IN and arg and arg[0][0] == sre_constants.CATEGORY:
            return "class repeat"
    return "a repeat"


def check_user_regex(pattern: str) -> None:
    """Raise UnsafeRegex (or re.error) unless `pattern` is safe to run on untrusted text."""
    if not isinstance(pattern, str):
        raise UnsafeRegex("not a string")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafeRegex(f"longer than {MAX_PATTERN_LENGTH} characters")
    parsed = sre_parse.parse(pattern)
    _Checker(pattern).sequence(list(parsed), False)
