"""The untrusted side of grading: runs inside the sandbox, with the student's code.

``python -m xent.coursework.runner`` reads ``job.json`` from the current folder (the
submission's own temporary folder), executes ``submission.ipynb`` in a Jupyter kernel with
nbclient (a time limit per cell; a cell that hangs is interrupted, and if the kernel does not
answer, it is restarted and the hung cell skipped), then calls the student's functions on the
inputs the grader sent and writes what they returned to ``results.jsonl`` as plain data
(:mod:`xent.coursework.wire`).

Nothing here decides a score, and nothing here knows an expected value: the student's code
runs in this process tree, so everything it writes is treated by the grader as untrusted data.
``status.json`` says how far the runner got, so that a failure of the grader's own machinery
(before any student code ran) is reported as a grader error, never as a zero.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

#: Runs in the kernel, in the student's namespace: calls each function on each case.
_CALLER = r"""
def call_cases(job_text, path_out, done, exercise, namespace):
    import json, warnings
    import numpy
    from xent.coursework import wire
    job = json.loads(job_text)
    out = open(path_out, "a", encoding="utf-8")

    def write(record):
        out.write(json.dumps(record) + "\n")
        out.flush()

    def candidates(names):
        found = [namespace.get(name) for name in names]
        found = [f for f in found if callable(f)]
        # A function written in the notebook wins over a library's of the same name
        mine = [f for f in found if getattr(f, "__module__", None) == "__main__"]
        return (mine + found)[:1]

    for case in job["cases"]:
        key = case["key"]
        if key in done or case["exercise"] != exercise:
            continue
        write({"key": key, "start": True})
        names = job["functions"][case["exercise"]]
        function = candidates(names)
        if not function:
            write({"key": key, "missing": names[-1]})
            continue
        try:
            args = wire.decode(case["args"], functions=True)
            kwargs = wire.decode(case["kwargs"], functions=True)
            with numpy.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = function[0](*args, **kwargs)
        except KeyboardInterrupt:
            raise
        except BaseException as error:
            try:
                message = str(error)[:300]
            except BaseException:
                message = ""
            write({"key": key, "raised": type(error).__name__, "message": message})
            continue
        try:
            encoded = wire.encode(value)
        except Exception:
            try:
                encoded = wire.encode(numpy.asarray(value, dtype=numpy.float64))
            except Exception:
                write({"key": key, "unreadable": type(value).__name__})
                continue
        write({"key": key, "value": encoded})
    out.close()
"""

#: The cell that runs the caller: its code runs with globals of its own (clean builtins), so a
#: notebook that names a variable ``set``, ``open`` or ``json`` does not break it.
_CELL = (
    "import builtins as __xent_builtins\n"
    "__xent_builtins.exec(__xent_builtins.compile({source!r}, '<xent grading>', 'exec'), "
    "{{'__builtins__': __xent_builtins, '__name__': 'xent_grading', "
    "'NAMESPACE': __xent_builtins.globals(), 'ARGS': {args!r}}})\n"
)


_STARTED = time.monotonic()
_TIMES: dict[str, float] = {}


def _status(stage: str, **details: Any) -> None:
    _TIMES[stage] = round(time.monotonic() - _STARTED, 2)
    record = {"stage": stage, "times": _TIMES, **details}
    Path("status.json").write_text(json.dumps(record), encoding="utf-8")


#: Absolute: a notebook may change the kernel's working directory (``%cd``).
_RESULTS = os.path.abspath("results.jsonl")

#: The kernel's options. No history database: nothing reads it, and it writes on every cell.
#: Minimal tracebacks (the exception's line alone): no output is kept, and a chapter submitted
#: whole raises at many cells in the sandbox (every call of a function its exercises forbid,
#: then every cell that needed the result), and IPython's default traceback, with source
#: context, took about 0.1 s each: chapter 9's cells ran in 6.1 s with it, 2.3 s without.
KERNEL_ARGUMENTS = ("--HistoryManager.enabled=False", "--InteractiveShell.xmode=Minimal")

#: How long a kernel gets to answer after an interrupt before it is restarted.
_PROBE_SECONDS = 2


def _kernel_manager_class() -> type:
    """nbclient's kernel manager (jupyter_client's asynchronous one), looking for the kernel
    where Jupyter looks (``jupyter_path("kernels")``) and nowhere else. By default it also
    asks IPython for ``~/.ipython/kernels``, and that question imports all of IPython, its
    terminal and prompt_toolkit: 0.35 s of processor time in every submission's runner,
    which never uses IPython (the kernel does, in its own process). The sandbox's home is
    new and empty, so that folder holds no kernel anyway."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.paths import jupyter_path
    from traitlets import default

    class _KernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _kernel_spec_manager_default(self) -> KernelSpecManager:
            return KernelSpecManager(data_dir=self.data_dir, kernel_dirs=jupyter_path("kernels"))

    return _KernelManager


def new_client(cell_timeout: int) -> Any:
    """The nbclient client the runner executes cells with, on a new empty notebook."""
    import nbformat
    from nbclient import NotebookClient

    return NotebookClient(
        nbformat.v4.new_notebook(cells=[]),
        timeout=cell_timeout,
        kernel_name="python3",
        kernel_manager_class=_kernel_manager_class(),
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": "Timeout", "evalue": "cell timed out", "traceback": []},
        record_timing=False,
        # Outputs are not kept (results travel in results.jsonl): after a cell's reply,
        # wait 1 s, not 4, for the rest of its output.
        iopub_timeout=1,
        # The sandbox ends every process anyway: no graceful shutdown to wait for.
        shutdown_kernel="immediate",
        extra_arguments=list(KERNEL_ARGUMENTS),
    )


def _done_keys() -> set[str]:
    """Cases with a result, and cases that started and never finished (they hung: not retried)."""
    seen: set[str] = set()
    try:
        lines = Path(_RESULTS).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return seen
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and isinstance(record.get("key"), str):
            seen.add(record["key"])
    return seen


def _children_reaped() -> None:
    """Run in the kernel's process before it starts: the processes it starts are reaped by
    the system when they end (SIGCHLD ignored, which a new program keeps). Otherwise a child
    the kernel never waits for, or one the runner ended after its cell, stays a zombie, and a
    zombie still counts against the sandbox's process limit, which the runner shares with
    the student's code: after a fork bomb, thirty of them left the runner unable to start a
    thread (libzmq aborted it), and the honest functions beside the bomb lost their points,
    in 2 of 88 grades. What the student's code sees: a subprocess's return code reads 0."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)


def _not_dumpable() -> None:
    """Make this process off limits to the kernel it starts, which runs as the same user:
    a process that is not "dumpable" cannot be traced, nor its files taken with
    ``pidfd_getfd`` or read under ``/proc/<pid>/fd`` by another of its user. Without it the
    student's kernel took the runner's stdout and erased the line the grader reads, turning
    a graded blank notebook into a grader error. The kernel (a new program) is dumpable again,
    so this does not limit it. Linux only; elsewhere nothing happens."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass


def main() -> int:
    _not_dumpable()
    job = json.loads(Path("job.json").read_text(encoding="utf-8"))
    _status("starting")
    # matplotlib's font list, so the kernel's first import of matplotlib does not rebuild it
    seed = Path(os.environ.get("XENT_MPL_SEED", ".mpl-seed"))
    home = Path(os.environ.get("MPLCONFIGDIR", "home/mpl"))
    home.mkdir(parents=True, exist_ok=True)
    for cached in seed.glob("fontlist-*.json") if seed.is_dir() else []:
        shutil.copy(cached, home / cached.name)
    import nbformat

    notebook = nbformat.read("submission.ipynb", as_version=4)
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    cell_timeout = int(job["cell_timeout"])
    skipped: list[int] = []
    notes: list[str] = []
    deadline = time.monotonic() + float(job["wall_seconds"])
    kernel_started = False

    kernel_output = open(os.path.abspath("kernel-output.txt"), "ab")  # noqa: SIM115
    for _attempt in range(len(cells) + len(job["cases"]) + 2):
        client = new_client(cell_timeout)
        restart = False
        # The kernel (the student's code) gets output files of its own, never the runner's:
        # with an inherited copy it could truncate the runner's stdout, erase the line below
        # and write its own text where the grader reads the runner's.
        with client.setup_kernel(
            stdout=kernel_output, stderr=kernel_output, preexec_fn=_children_reaped
        ):
            if not kernel_started:
                kernel_started = True
                _status("kernel", skipped=skipped, notes=notes)
                # Said on the runner's own stdout, before any student code runs: the grader
                # tells its own failures from the submission's by this line alone.
                print(f"{job['token']} kernel", flush=True)
            for index, cell in enumerate(cells):
                if index in skipped or time.monotonic() > deadline:
                    continue
                if not _run(client, cell, index, cell_timeout):
                    skipped.append(index)
                    notes.append(f"code cell {index + 1} hung and ignored interrupts: skipped")
                    restart = True
                    break
                cell.outputs = []
            if not restart:
                _status("executed", skipped=skipped, notes=notes)
                restart = not _call_all(client, job)
                if restart:
                    notes.append("a case hung and the kernel ignored interrupts: restarted")
        if not restart or time.monotonic() > deadline:
            break
    _status("graded", skipped=skipped, notes=notes)
    return 0


def _call_all(client: Any, job: dict[str, Any]) -> bool:
    """Call the student's functions on every case; False when the kernel stopped answering."""
    import nbformat

    for exercise in job["functions"]:
        # The cases travel in the cell itself: the submission may have deleted job.json.
        mine = {
            "functions": job["functions"],
            "cases": [c for c in job["cases"] if c["exercise"] == exercise],
        }
        keys = {c["key"] for c in mine["cases"]}
        while keys - _done_keys():
            before = _done_keys()
            source = _CALLER + "\ncall_cases(*ARGS, NAMESPACE)\n"
            arguments = (json.dumps(mine), _RESULTS, sorted(before), exercise)
            code = _CELL.format(source=source, args=arguments)
            if not _run(client, nbformat.v4.new_code_cell(code), -2, int(job["exercise_timeout"])):
                return False
            if _done_keys() == before:
                break  # no progress (the caller itself was broken by the submission)
    return True


def _run(client: Any, cell: Any, index: int, timeout: int) -> bool:
    """Execute one cell; False when it timed out and the kernel no longer answers.

    nbclient interrupts a cell that runs past its timeout (``interrupt_on_timeout``); a cell
    that ignores the interrupt leaves the kernel busy, which a short probe then shows.
    """
    import nbformat

    finished = _execute(client, cell, index, timeout)
    _kill_strays(client)
    if finished is not None:
        return finished
    # Timed out and interrupted: does the kernel answer now?
    # An interrupted kernel answers at once; one that ignores interrupts spins on a core
    # until it is replaced, so the probe is short.
    return _execute(client, nbformat.v4.new_code_cell("pass"), -3, _PROBE_SECONDS) is True


def _kill_strays(client: Any) -> None:
    """Inside the sandbox's own PID namespace, end every process but the runner and the
    kernel once a cell is done: a child left running, or a fork of the kernel itself (which
    would answer the kernel's messages in its place), does not live on into the next cell."""
    if os.environ.get("XENT_SANDBOX_PIDNS") != "1":
        return
    process = getattr(getattr(client.km, "provisioner", None), "process", None)
    keep = {1, os.getpid(), os.getppid(), getattr(process, "pid", -1)}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in keep:
            try:
                os.kill(int(entry.name), 9)
            except OSError:
                pass


def _execute(client: Any, cell: Any, index: int, timeout: int) -> bool | None:
    """True: finished in time; None: timed out (interrupted); False: the kernel is dead."""
    from nbclient.exceptions import DeadKernelError

    client.timeout = timeout
    start = time.monotonic()
    try:
        client.execute_cell(cell, index)
    except DeadKernelError:
        return False
    except Exception:  # noqa: BLE001  (a student's broken cell only breaks itself)
        pass
    return None if time.monotonic() - start >= timeout - 0.25 else True


if __name__ == "__main__":
    sys.exit(main())
