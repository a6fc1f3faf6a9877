"""Deadlines for work on one untrusted file, so no single file can hold up an audit.

An audit spends its time in parsers and regular expressions over files it does not trust.
`call_with_deadline(seconds, fn, ...)` runs one piece of that work and abandons it when the
deadline passes; `Project.bounded()` builds the per-file budget (`file-budget-ms`) on it.

How work is cut short:
- on the main thread of a Unix process, a one-shot real-time timer (SIGALRM) raises
  `BudgetExceeded` inside the running code. CPython's regular-expression engine checks for
  signals while it backtracks, so a runaway pattern is interrupted as well;
- elsewhere (other threads, no SIGALRM, a timer already in use), long pure-Python loops call
  `checkpoint()`, which raises once the deadline has passed;
- C code that never checks for signals (`ast.parse` on a huge file) is kept short by size
  caps decided before it starts.

`BudgetExceeded` derives from BaseException so that a broad `except Exception` in rule code
cannot swallow it; each deadline only catches its own.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any, Callable

_HAS_ALARM = hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")


class BudgetExceeded(BaseException):
    """The deadline of the innermost running `call_with_deadline` has passed."""

    def __init__(self, token: object) -> None:
        super().__init__("time budget exceeded")
        self.token = token


class _Deadline:
    __slots__ = ("at", "armed")

    def __init__(self, at: float) -> None:
        self.at = at
        self.armed = False  # true while the SIGALRM timer belongs to this deadline


_local = threading.local()
_alarm_owner: _Deadline | None = None  # the deadline the SIGALRM timer was set for


def _on_alarm(signum, frame) -> None:  # pragma: no cover - timing dependent
    owner = _alarm_owner
    if owner is not None and owner.armed:
        # Fire again shortly: a signal handler's exception is lost when it lands in a gc
        # callback or a __del__ method; the deadline's own cleanup disarms the timer.
        signal.setitimer(signal.ITIMER_REAL, 0.01)
        raise BudgetExceeded(owner)


def _alarm_usable() -> bool:
    if not _HAS_ALARM or threading.current_thread() is not threading.main_thread():
        return False
    if signal.getsignal(signal.SIGALRM) not in (signal.SIG_DFL, signal.SIG_IGN):
        return False  # someone else handles SIGALRM: do not interfere
    return signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def active() -> bool:
    """Whether a deadline is running on this thread."""
    return getattr(_local, "deadline", None) is not None


def checkpoint() -> None:
    """Raise BudgetExceeded if the running deadline has passed (cheap; call in long loops)."""
    d = getattr(_local, "deadline", None)
    if d is not None and time.monotonic() > d.at:
        raise BudgetExceeded(d)


def call_with_deadline(seconds: float, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """(True, fn(...)) if it finished within `seconds`, else (False, None).

    Nested calls run under the outer deadline (the outer one is the one that fires).
    """
    global _alarm_owner
    if getattr(_local, "deadline", None) is not None:
        return True, fn(*args, **kwargs)
    d = _Deadline(time.monotonic() + max(seconds, 0.0))
    _local.deadline = d
    use_alarm = _alarm_usable()
    previous = None
    try:
        try:
            if use_alarm:
                previous = signal.signal(signal.SIGALRM, _on_alarm)
                _alarm_owner = d
                d.armed = True
                signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
            return True, fn(*args, **kwargs)
        finally:
            if use_alarm:
                d.armed = False  # from here on the handler does nothing
                signal.setitimer(signal.ITIMER_REAL, 0)
    except BudgetExceeded as exc:
        if exc.token is not d:
            raise
        return False, None
    finally:
        if use_alarm:
            d.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            _alarm_owner = None
            signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)
        _local.deadline = None
