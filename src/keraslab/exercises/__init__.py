"""Exercises that check the learner's own work, one set per lesson.

An exercise file (``exercises/*.py``, Jupytext py:percent, opened as a notebook) starts with::

    from keraslab.exercises import ____, start
    ex = start("sequential", globals())

then, for each exercise, a cell where the learner replaces ``____`` with their answer and a cell
that calls ``ex.q1.check()`` (``ex.q1.hint()``, ``ex.q1.hint(2)`` and ``ex.q1.solution()`` are
there when they want them). In the spirit of Kaggle Learn's learntools, written here:

- ``check()`` reads the learner's own objects (by the names the exercise asks for) and inspects
  them: layers, shapes, activations, parameter counts, loss, optimizer and learning rate; it drives
  a callback with scripted logs, as Keras' own callback tests do; where a result is asked for it
  evaluates the learner's trained model on data the learner's code never saw, loaded by the
  checker itself. It prints one sentence: what is wrong, or "correct" with the measured figure; a
  blank still in place is *not attempted*.
- Each result is kept in the user's data folder (:func:`status_file`), never in the repository, so
  ``keraslab exercises`` can list every exercise with the learner's last status.

``keraslab check FILE`` runs a whole exercise file (``.py`` or ``.ipynb``) and prints each
exercise's verdict (:func:`check_file`).
"""

from __future__ import annotations

import importlib
import io
import json
import os
import sys
import tempfile
import textwrap
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

#: the lessons, in the order of the learning path; each is a module of this package
LESSONS = ("sequential", "functional", "callbacks", "cnn", "keras_vs_pytorch")
STATUSES = ("not attempted", "incorrect", "correct")


class _Blank:
    """What the learner replaces: ``model = ____``."""

    def __repr__(self):
        return "____"

    def __call__(self, *args, **kwargs):  # `____(...)` in a learner's code is still a blank
        return self


____ = _Blank()


class Incorrect(Exception):
    """Raised by a checker with the one sentence that says what is wrong."""


class NotAttempted(Exception):
    """Raised by a checker when the answer still holds a blank somewhere."""


def is_blank(value) -> bool:
    return isinstance(value, _Blank)


def require(condition: bool, message: str) -> None:
    """``require(cond, "what is wrong")``: the checker's one-line assertion."""
    if not condition:
        raise Incorrect(message)


@dataclass(frozen=True)
class Exercise:
    """One exercise: the names it reads from the learner's namespace, its checker, its hints (one
    or more levels, gentle first) and its solution (the code that answers it)."""

    number: int
    title: str
    names: tuple[str, ...]
    checker: Callable[..., str]  # checker(**values) -> "what was measured"; raises Incorrect
    hints: tuple[str, ...]
    solution: str
    lesson: str = ""

    @property
    def id(self) -> str:
        return f"{self.lesson}.{self.number}"


@dataclass
class Lesson:
    name: str
    title: str
    exercises: list[Exercise] = field(default_factory=list)

    def exercise(self, number: int, title: str, names, hints, solution: str):
        """Decorator: ``@lesson.exercise(1, "Build ...", names=("model",), hints=(...), solution=...)``."""

        def register(checker):
            self.exercises.append(
                Exercise(
                    number,
                    title,
                    tuple(names),
                    checker,
                    tuple(hints),
                    textwrap.dedent(solution).strip(),
                    self.name,
                )
            )
            return checker

        return register


def lesson(name: str) -> Lesson:
    """The lesson ``name`` with its exercises (imports its module)."""
    if name not in LESSONS:
        raise KeyError(f"unknown lesson {name!r}; the lessons are: {', '.join(LESSONS)}")
    return importlib.import_module(f"keraslab.exercises.{name}").LESSON


def run_check(exercise: Exercise, namespace: dict) -> tuple[str, str]:
    """(status, one-sentence message) for ``exercise`` against the learner's ``namespace``."""
    values = {}
    for name in exercise.names:
        value = namespace.get(name, ____)
        if is_blank(value):
            return "not attempted", f"not attempted: replace ____ with your {name}"
        values[name] = value
    try:
        with redirect_stdout(io.StringIO()):  # the learner's model may print while it is evaluated
            measured = exercise.checker(**values)
    except NotAttempted as exc:
        return "not attempted", f"not attempted: {exc}"
    except Incorrect as exc:
        return "incorrect", f"incorrect: {exc}"
    except Exception as exc:  # the learner's code raised while the checker used it
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        return "incorrect", f"incorrect: using your {', '.join(exercise.names)} raised {type(exc).__name__}: {first}"
    return "correct", f"correct: {measured}" if measured else "correct"


class Bound:
    """An exercise bound to the learner's namespace: ``check()``, ``hint(level)``, ``solution()``."""

    def __init__(self, exercise: Exercise, namespace: dict):
        self.exercise, self.namespace = exercise, namespace

    def check(self) -> str:
        status, message = run_check(self.exercise, self.namespace)
        record(self.exercise.id, status)
        print(f"Exercise {self.exercise.number} ({self.exercise.title}): {message}")
        return status

    def hint(self, level: int = 1) -> None:
        hints = self.exercise.hints
        level = max(1, min(level, len(hints)))
        more = f" (hint {level} of {len(hints)}; ask for hint({level + 1}) for more)" if level < len(hints) else ""
        print(f"Hint{more}: {hints[level - 1]}")

    def solution(self) -> None:
        print(f"Solution to exercise {self.exercise.number}:\n\n{self.exercise.solution}")

    def __repr__(self):
        return f"<exercise {self.exercise.id}: {self.exercise.title}>"


class Started:
    """What :func:`start` returns: ``ex.q1``, ``ex.q2``, ... and ``ex.lesson``."""

    def __init__(self, lesson: Lesson, namespace: dict):
        self.lesson = lesson
        for exercise in lesson.exercises:
            setattr(self, f"q{exercise.number}", Bound(exercise, namespace))

    def __repr__(self):
        return f"<{self.lesson.name} exercises: " + ", ".join(f"q{e.number}" for e in self.lesson.exercises) + ">"


def start(name: str, namespace: dict) -> Started:
    """``ex = start("sequential", globals())`` at the top of an exercise file."""
    started = Started(lesson(name), namespace)
    namespace["__keraslab_lesson__"] = name
    print(f"{started.lesson.title}: {len(started.lesson.exercises)} exercises, checked with ex.q1.check() ...")
    return started


# --------------------------------------------------------------------------- the learner's status


def status_file() -> Path:
    """Where the learner's last statuses live: ``$KERASLAB_HOME/exercises.json``, else
    ``$XDG_DATA_HOME/keraslab/``, else ``~/.local/share/keraslab/`` — never the repository."""
    home = os.environ.get("KERASLAB_HOME")
    if home:
        return Path(home) / "exercises.json"
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "keraslab" / "exercises.json"


def statuses() -> dict[str, str]:
    try:
        found = json.loads(status_file().read_text())
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in found.items() if v in STATUSES} if isinstance(found, dict) else {}


def record(exercise_id: str, status: str) -> None:
    """Keep the latest status of one exercise (an atomic rewrite; a read-only home is no error)."""
    path = status_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        current = statuses()
        current[exercise_id] = status
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".exercises-", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(current, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        pass


def listing() -> list[str]:
    """``<lesson>.<n>  <title>  <status>``, one line per exercise, in the learning path's order."""
    known = statuses()
    rows = [(e.id, e.title, known.get(e.id, "not attempted")) for name in LESSONS for e in lesson(name).exercises]
    w_id, w_title = max(len(r[0]) for r in rows), max(len(r[1]) for r in rows)
    return [f"{i:<{w_id}}  {t:<{w_title}}  {s}" for i, t, s in rows]


# --------------------------------------------------------------------------- checking a whole file


def code_cells(path: Path) -> list[str]:
    """The code cells of an exercise file: a Jupytext py:percent ``.py`` or an ``.ipynb``."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text())
        cells = []
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "code":
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else source
                # IPython magics and shell lines are not Python
                cells.append("\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("%", "!"))))
        return cells
    cells, current, kind = [], [], "code"
    for line in path.read_text().splitlines():
        if line.startswith("# %%"):
            if kind == "code" and current:
                cells.append("\n".join(current))
            current, kind = [], "markdown" if "[markdown]" in line else "code"
            continue
        current.append(line)
    if kind == "code" and current:
        cells.append("\n".join(current))
    return cells


@dataclass
class FileResult:
    lesson: str
    verdicts: list[tuple[Exercise, str, str]]  # (exercise, status, message)
    cell_errors: list[str]

    @property
    def all_correct(self) -> bool:
        return all(status == "correct" for _, status, _ in self.verdicts)


def check_file(path: Path, show_output: bool = False) -> FileResult:
    """Run every code cell of a learner's exercise file in one namespace (a cell that raises is
    noted and the rest still run), then check every exercise of its lesson."""
    path = Path(path).resolve()
    namespace: dict = {"__name__": "__main__", "__file__": str(path)}
    errors = []
    os.environ.setdefault("MPLBACKEND", "Agg")  # figures are not shown while checking
    sink = sys.stdout if show_output else io.StringIO()
    old_cwd = os.getcwd()
    os.chdir(path.parent)  # the file's own folder, as a notebook would run it
    try:
        for i, source in enumerate(code_cells(path), 1):
            try:
                with redirect_stdout(sink), redirect_stderr(sink if not show_output else sys.stderr):
                    exec(compile(source, f"{path.name} (cell {i})", "exec"), namespace)
            except Exception as exc:  # noqa: BLE001 - a learner's cell may raise anything
                first = (str(exc).strip().splitlines() or [""])[0][:160]
                errors.append(f"cell {i}: {type(exc).__name__}: {first}")
    finally:
        os.chdir(old_cwd)
    name = namespace.get("__keraslab_lesson__")
    if name is None:
        raise ValueError(f"{path} is not an exercise file: it never calls keraslab.exercises.start(...)")
    verdicts = []
    for exercise in lesson(name).exercises:
        status, message = run_check(exercise, namespace)
        record(exercise.id, status)
        verdicts.append((exercise, status, message))
    return FileResult(name, verdicts, errors)


def solved(path: Path) -> str:
    """The exercise file with every answer cell replaced by its solution (for tests and teachers):
    an answer cell is one whose first line is ``# Exercise N: your answer``."""
    import re

    text = Path(path).read_text()
    found = re.search(r'^\s*\w+\s*=\s*start\("(\w+)"', text, re.MULTILINE)  # ex = start("lesson", globals())
    if found is None:
        raise ValueError(f"{path} never calls start(...)")
    by_number = {e.number: e for e in lesson(found.group(1)).exercises}
    out = []
    for block in _split_keep(text):
        first = block.split("\n", 2)[1] if block.startswith("# %%") and "\n" in block else ""
        if first.startswith("# Exercise ") and first.rstrip().endswith("your answer"):
            number = int(first.split()[2].rstrip(":"))
            header = block.split("\n", 1)[0]
            block = f"{header}\n{first}\n{by_number[number].solution}\n\n"
        out.append(block)
    return "".join(out)


def _split_keep(text: str) -> list[str]:
    blocks, current = [], []
    for line in text.splitlines(keepends=True):
        if line.startswith("# %%") and current:
            blocks.append("".join(current))
            current = []
        current.append(line)
    if current:
        blocks.append("".join(current))
    return blocks
