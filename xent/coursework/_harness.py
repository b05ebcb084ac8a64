"""Runs inside a grading subprocess: executes a submission's cells and checks its exercises.

Protocol: the grader writes a JSON job to stdin (the cells, which cells to skip, the
exercises, a secret token, the per-exercise time limit). This process reads it, closes stdin,
then executes the cells in order. Before each cell it reports ``<token> cell <index>``; after
each check position it reports ``<token> result <json>`` on the file descriptor that was
stdout when it started. The student's own printing goes to a capped buffer, so a flood of
output costs nothing, and a line without the token is never read as a result.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import warnings
from types import FrameType
from typing import Any


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so a student's ``except Exception`` cannot eat it."""


class _CappedText(io.TextIOBase):
    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.size = 0

    def write(self, text: str) -> int:
        self.size += len(text)
        return len(text)

    def writable(self) -> bool:
        return True


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Timeout


def _transform(code: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    return str(TransformerManager().transform_cell(code))  # type: ignore[no-untyped-call]


def main() -> None:
    job: dict[str, Any] = json.loads(sys.stdin.read())
    sys.stdin.close()
    token: str = job.pop("token")
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)

    import matplotlib

    matplotlib.use("Agg")
    from xent.coursework._registry import run_check

    def report(kind: str, payload: Any) -> None:
        channel.write(f"{token} {kind} {json.dumps(payload)}\n")
        channel.flush()

    signal.signal(signal.SIGALRM, _alarm)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    sink = _CappedText()
    skip = set(job["skip"])
    limit = int(job["exercise_timeout"])
    for index, cell in enumerate(job["cells"]):
        report("cell", index)
        if index in skip:
            continue
        if cell["kind"] == "code":
            signal.alarm(limit)
            try:
                with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        exec(
                            compile(_transform(cell["source"]), f"<cell {index}>", "exec"),
                            namespace,
                        )
            except _Timeout:
                report("cell_timeout", index)
            except BaseException:  # noqa: BLE001  (a broken cell only breaks itself)
                pass
            finally:
                signal.alarm(0)
        elif cell["kind"] == "check":
            exercise_id, name = cell["exercise"], cell["function"]
            function = namespace.get(name)
            if not callable(function):
                report("result", {"id": exercise_id, "error": f"no function named {name!r}"})
                continue
            signal.alarm(limit)
            try:
                with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        result = run_check(exercise_id, function)
                report(
                    "result",
                    {
                        "id": exercise_id,
                        "passed": result.passed,
                        "total": len(result.cases),
                        "flagged": result.flagged,
                        "score": result.score,
                        "first_failure": next(
                            (c.message for c in result.cases if not c.passed), ""
                        ),
                    },
                )
            except _Timeout:
                report("result", {"id": exercise_id, "error": f"timed out after {limit} s"})
            except BaseException as error:  # noqa: BLE001
                report("result", {"id": exercise_id, "error": f"{type(error).__name__}: {error}"})
            finally:
                signal.alarm(0)
    report("done", index if job["cells"] else -1)


if __name__ == "__main__":
    main()
