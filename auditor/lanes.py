"""Rule evaluation in parallel processes on large repositories ("lanes").

Why: the per-file work of an audit (file headers, secret scans, parsed bodies) already runs
in the pool of `cache.cached_map`, but the rules run one after another in one process, and
on a large tree they are most of a cold run. Given the snapshot, rules are independent:

1. At the start a forked child (lane A) evaluates rules that read no Python facts (secrets,
   CI model, dependencies), while this process builds the Python index and its word index,
   which most other rules share. Each has half of the jobs for its per-file pool.
2. Then up to `jobs - 1` children (lanes B, `MAX_LANES` processes in all) are forked: they
   inherit the index copy-on-write, and they and this process take the remaining rules,
   heaviest first, from one work queue.

A child sends back its verdicts, the problems it met and the few small facts of
`SENT_BACK` it built (pickled, through a pipe); this process adds them to its own. Nothing
else crosses: the facts a child computed stay in it. The report is identical to a serial run: every verdict is a function of the snapshot and
the rule alone (a rule that refers to another evaluates it in its own lane), and problems
form a set. A child that fails in any way is not trusted: its rules are evaluated here
afterwards.

Lanes are used only where they pay (`worth_it`): more than one job allowed (`--jobs`), a
platform that forks, no other thread alive (forking a threaded process can deadlock the
child), and a tree large enough that a fork costs little beside the work.

Which rule goes where only changes speed, never results. The groups and weights below
were measured with `bench/profile.py` on the generated 20,000-file repository; rules not
named there (user rules included) weigh 1 and are taken last.
"""

from __future__ import annotations

import os
import pickle
import signal
from dataclasses import dataclass

MIN_FILES = 2000   # below this a fork costs more than the rules it moves
# Processes of the second phase at most: its heaviest piece (DATA005) is a third of its work,
# so more lanes only add forks (each touches, and so copies, part of the parent's memory).
MAX_LANES = 4

# Rules whose facts are not Python's: they run in lane A while the Python index is built
# (the rules of the infrastructure model go with the rules that share it, below: the two
# halves of the first phase are then about as long).
READS_NO_PYTHON = frozenset({
    "VCS001", "VCS005", "VCS006", "CI001", "CI002", "CI003", "CI004", "CI005", "CI007",
    "CODE005", "CODE006", "CODE008", "TEAM009",
})

# Seconds x 100 of each heavier Python rule's own time, cold; the rest weigh 1.
WEIGHTS = {
    "DATA005": 88, "DATA003": 22, "INFRA004": 16, "MON002": 14, "TRAIN003": 12, "DEPLOY004": 12,
    "TRAIN009": 11, "DEPLOY001": 9, "TRAIN005": 9, "TRAIN008": 9, "DEPLOY005": 7, "CODE002": 6,
    "DATA004": 6, "CODE001": 5, "DEPLOY003": 5, "MON001": 5, "MON004": 5, "DATA006": 4,
    "TEAM005": 3, "TEAM008": 3, "CODE010": 3, "TRAIN010": 2,
}

# Rules that share a costly fact other than Python's (the infrastructure model), or refer to
# one another (`rule = "DEPLOY001"`), form one piece of work, so that only one process
# builds it; the piece weighs that fact once more.
TOGETHER = (
    (frozenset({"DATA001", "DATA002", "DEPLOY001", "DEPLOY002", "DEPLOY003", "DEPLOY004", "DEPLOY005",
                "INFRA001", "INFRA002", "INFRA003", "INFRA004", "INFRA005", "MON001", "MON002", "MON003",
                "MON004"}), 17),
)

# What the second phase's lanes should inherit ready-made rather than build again.
_SHARED_FACTS = ("python",)
# Small facts that lane A builds and later rules need too: sent back with its verdicts, so
# that no later lane builds them again.
SENT_BACK = ("infra", "ci", "precommit", "deps", "git")
WAIT_FOR_SIDE_S = 0.2   # how long the second phase waits for lane A's facts before going on

_HELD: list = []   # a child keeps what it must never finalise (the parent's SQLite connection)


@dataclass
class _Lane:
    pid: int
    fd: int


def worth_it(project, rules: list) -> bool:
    import threading

    from auditor.cache import _can_fork

    jobs = int(getattr(project, "jobs", 1) or 1)
    return (jobs > 1 and len(rules) > 1 and len(project.files) >= MIN_FILES
            and threading.active_count() == 1 and _can_fork())


def evaluate(engine, rules: list) -> None:
    """Fill `engine`'s verdicts for `rules` with `project.jobs` processes at most at any
    time. Rules left without a verdict (a lane that could not start or failed) are
    evaluated by the engine afterwards, as in a serial run."""
    project = engine.project
    side = [r for r in rules if r.id in READS_NO_PYTHON]
    rest = [r for r in rules if r.id not in READS_NO_PYTHON]
    if not (side and rest):
        side, rest = [], side + rest
    lanes: list[_Lane] = []
    queue = -1
    jobs = project.jobs
    side_jobs = max(1, jobs // 2)   # the first phase's processes, shared with each one's pool
    try:
        lane = _fork(engine, lambda: _evaluate_all(engine, side), jobs=side_jobs) if side else None
        if lane is not None:
            lanes.append(lane)
        project.jobs = max(1, jobs - side_jobs) if lane is not None else jobs
        if any(r.id in WEIGHTS for r in rest):
            _warm(project)
        if lanes and _finished(lanes[0], WAIT_FOR_SIDE_S):
            _collect(engine, lanes[0])   # its facts, then, are the later lanes' inheritance too
            lanes.pop(0)
        project.jobs = 1   # from here on the lanes are the parallelism: a pool would compete
        work = units(rest)
        queue = _queue(len(work))
        for _ in range(min(jobs, MAX_LANES, len(work)) - 1 if queue >= 0 else 0):
            lane = _fork(engine, lambda: _drain(engine, work, queue))
            if lane is not None:
                lanes.append(lane)
        _drain(engine, work, queue)
        while lanes:
            _collect(engine, lanes[-1])
            lanes.pop()
    finally:
        project.jobs = jobs
        if queue >= 0:
            os.close(queue)
        for lane in lanes:   # interrupted: leave no child behind
            _end(lane)


def units(rules: list) -> list[list]:
    """The rules in pieces of work, heaviest first: each group of `TOGETHER` is one piece,
    every other rule one on its own; ties keep catalogue order."""
    order = {r.id: i for i, r in enumerate(rules)}
    pieces: list[tuple[int, int, list]] = []
    grouped: set[str] = set()
    for members, extra in TOGETHER:
        unit = [r for r in rules if r.id in members]
        if unit:
            grouped.update(r.id for r in unit)
            pieces.append((sum(WEIGHTS.get(r.id, 1) for r in unit) + extra, order[unit[0].id], unit))
    pieces += [(WEIGHTS.get(r.id, 1), order[r.id], [r]) for r in rules if r.id not in grouped]
    return [unit for _, _, unit in sorted(pieces, key=lambda p: (-p[0], p[1]))]


def _queue(count: int) -> int:
    """A pipe holding the numbers of `count` pieces of work (one byte each), already closed
    for writing: each process that reads a byte owns that piece, and a read at the end gives
    nothing. Pipe reads are atomic, so no piece is taken twice; which process takes which
    only changes speed. -1 when there is no pipe (the parent then does all the work)."""
    if count > 255:
        return -1
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return -1
    try:
        os.write(write_end, bytes(range(count)))   # < PIPE_BUF: written whole
    finally:
        os.close(write_end)
    return read_end


def _drain(engine, work: list[list], queue: int) -> None:
    """Evaluate the pieces of `work` this process takes from `queue` (all, without one)."""
    if queue < 0:
        _evaluate_all(engine, [rule for unit in work for rule in unit])
        return
    while taken := os.read(queue, 1):
        _evaluate_all(engine, work[taken[0]])


def _evaluate_all(engine, rules: list) -> None:
    for rule in rules:
        engine._verdict(rule)


def _warm(project) -> None:
    """Build the facts most remaining rules share, so that later lanes inherit them. A fact that
    fails here fails again in the rule that needs it, which reports it as that rule's error."""
    for name in _SHARED_FACTS:
        try:
            fact = project.fact(name)
            if hasattr(fact, "word_index"):
                fact.word_index()
        except Exception:   # noqa: BLE001 - see the docstring
            pass


def _fork(engine, work, jobs: int = 1) -> _Lane | None:
    """A child that runs `work()` (with a pool of `jobs` processes where per-file work pays
    for one) and sends back the verdicts, problems and small facts it then holds; None when
    no process can be started (the parent then does that work)."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:   # the child: evaluate, send, and leave without running the parent's code
        status = 1
        try:
            os.close(read_end)
            _become_lane(engine.project, jobs)
            work()
            payload = pickle.dumps((engine._verdicts, engine.project.problems, _facts_to_send(engine.project)),
                                   protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            status = 0
        except BaseException:   # noqa: BLE001 - the parent sees the status and does the work
            pass
        finally:
            os._exit(status)
    os.close(write_end)
    return _Lane(pid, read_end)


def _facts_to_send(project) -> dict[str, bytes]:
    """The `SENT_BACK` facts this lane built, each pickled on its own (one that cannot be
    pickled is simply built again where needed)."""
    out = {}
    for name in SENT_BACK:
        if name in project._facts:
            try:
                out[name] = pickle.dumps(project._facts[name], protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:   # noqa: BLE001 - see the docstring
                pass
    return out


def _finished(lane: _Lane, timeout: float) -> bool:
    """Whether a lane has started sending its answer (or ended), waiting up to `timeout`."""
    import select

    try:
        return bool(select.select([lane.fd], [], [], timeout)[0])
    except (OSError, ValueError):
        return False


def _become_lane(project, jobs: int = 1) -> None:
    """A lane has its share of the jobs, its own cache connection (a SQLite connection must
    not be used across a fork) and default signal actions."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    project.jobs = jobs
    cache = getattr(project, "cache", None)
    if cache is not None:
        _HELD.append(cache)
        project.cache = cache.forked()


def _collect(engine, lane: _Lane) -> None:
    """Take a lane's verdicts, problems and facts. A lane that failed gives nothing: the
    engine then evaluates its rules here, as it does every rule without a verdict."""
    chunks = []
    fd, lane.fd = lane.fd, -1   # the file object below owns (and closes) it
    try:
        with os.fdopen(fd, "rb") as pipe:
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
    except OSError:
        chunks = []
    _, status = os.waitpid(lane.pid, 0)
    lane.pid = -1
    result = None
    if os.waitstatus_to_exitcode(status) == 0 and chunks:
        try:
            result = pickle.loads(b"".join(chunks))
        except Exception:   # a truncated or garbled answer: do the work here
            result = None
    if result is None:
        return
    verdicts, problems, facts = result
    for rule_id, verdict in verdicts.items():
        engine._verdicts.setdefault(rule_id, verdict)
    for problem in problems:
        engine.project.add_problem(problem.path, problem.detail)
    for name, blob in facts.items():
        if name in SENT_BACK and name not in engine.project._facts:
            try:
                engine.project._facts[name] = pickle.loads(blob)
            except Exception:   # noqa: BLE001 - built again where needed
                pass


def _end(lane: _Lane) -> None:
    """Stop a lane that will not be collected (the run was interrupted)."""
    if lane.pid > 0:
        try:
            os.kill(lane.pid, signal.SIGKILL)
            os.waitpid(lane.pid, 0)
        except OSError:
            pass
    if lane.fd >= 0:
        try:
            os.close(lane.fd)
        except OSError:
            pass
