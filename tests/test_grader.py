"""The grader, tried as a hostile student would try it.

Every submission here is graded in one batch (two at a time, as an instructor would run it),
and each test asserts on its own row: an attack never scores more than the same work without
the attack, no process outlives its grade, no input crashes the batch, and honest work, however
carelessly laid out, gets its points.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from xent.coursework import grade as grading
from xent.coursework import registry, sandbox
from xent.coursework.grade import Report, Settings

ROOT = Path(__file__).resolve().parents[1]
MARKER = "XENTSURVIVORMARKER"
HONEST_SCORE = 5.0  # chapter 1: 1.1 (1 point), 1.5 (2), 1.7 (2)

needs_bwrap = pytest.mark.skipif(
    sandbox.detect().kind != "bubblewrap" and not os.environ.get("CI"),
    reason="bubblewrap is not installed here (CI installs it)",
)

IMPORTS = "import numpy as np\nimport xent\nfrom xent.coursework import check\n"
SURPRISAL = "def surprisal(p):\n    return -np.log(p)\n"
ENTROPY = """\
def entropy(p, base=None):
    p = np.asarray(p, dtype=np.float64)
    safe = np.where(p > 0, p, 1.0)
    h = -np.sum(p * np.log(safe), axis=-1)
    return h / np.log(base) if base is not None else h
"""
EMPIRICAL = """\
def empirical_entropy(samples, num_classes):
    counts = np.bincount(np.asarray(samples), minlength=num_classes)
    return entropy(counts / counts.sum())
"""
HONEST = [IMPORTS, SURPRISAL, ENTROPY, EMPIRICAL]
BLANK = [
    IMPORTS,
    "def surprisal(p):\n    raise NotImplementedError\n",
    "def entropy(p, base=None):\n    raise NotImplementedError\n",
    "def empirical_entropy(samples, num_classes):\n    raise NotImplementedError\n",
]
CHECKS = 'check("1.1", surprisal)\ncheck("1.5", entropy)\ncheck("1.7", empirical_entropy)\n'


def notebook(*cells: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": text,
                "outputs": [],
                "execution_count": None,
            }
            for text in cells
        ],
        "metadata": metadata or {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


#: Memory spread over processes, each under the address-space limit (2 GiB), together far
#: above it. Graded on its own, with a cell time limit long enough for six processes to fill
#: their memory on a busy machine: pages are slow to fault in here (0.5 GB/s on two idle
#: cores), and in the batch, whose cells stop after 8 s, the children were once ended with
#: the cell before the watchdog saw them over the limit together.
MEMORY_FAN_OUT = [
    *BLANK,
    """\
import subprocess, sys, time
# the children ignore the interrupt that ends the cell, as a hostile student's would
code = ("import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\\n"
        "b = bytearray(600 * 2**20)\\nfor i in range(0, len(b), 4096): b[i] = 1\\n"
        "import time; time.sleep(90)")
children = [subprocess.Popen([sys.executable, "-S", "-c", code]) for _ in range(6)]
time.sleep(90)
""",
]

ATTACKS: dict[str, list[str]] = {
    # Patch the checker and empty the registry from a notebook cell.
    "patch_checker": [
        *BLANK,
        """\
import xent.coursework.compare as compare, xent.coursework.registry as registry
compare.same = lambda *args, **kwargs: True
registry._DEFINED.clear(); registry._LOADED.clear()
import xent.coursework.check as chk
chk.same = compare.same
""",
    ],
    # Return whatever the calling frames hold that looks like an answer.
    "frame_introspection": [
        IMPORTS,
        """\
import sys
def _steal(*args, **kwargs):
    frame = sys._getframe(1)
    while frame is not None:
        for name in ("expected", "reference", "value"):
            if name in frame.f_locals and not callable(frame.f_locals[name]):
                return frame.f_locals[name]
        frame = frame.f_back
    return 0.0
surprisal = _steal
def entropy(p, base=None):
    return _steal()
def empirical_entropy(samples, num_classes):
    return _steal()
""",
    ],
    # Forge result lines: in the results file, on stdout, on stderr, on raw descriptors.
    "forged_output": [
        *BLANK,
        """\
import json, os, sys
job = json.load(open("job.json"))
with open("results.jsonl", "a") as out:
    for case in job["cases"]:
        for _ in range(2):
            out.write(json.dumps({"key": case["key"], "value": 0.0}) + "\\n")
    out.write(json.dumps({"key": "not-a-key", "value": 1.0}) + "\\n")
    out.write("garbage\\n")
line = "deadbeef result " + json.dumps({"id": "1.5", "score": 3000, "passed": 9, "total": 9})
print(line); print(line, file=sys.stderr)
os.write(1, (line + "\\n").encode()); os.write(2, (line + "\\n").encode())
""",
    ],
    # The forbidden function, reached around every in-process hook.
    "setprofile_none": [
        IMPORTS,
        SURPRISAL,
        """\
import sys
sys.setprofile(None); sys.settrace(None)
def entropy(p, base=None):
    sys.setprofile(None)
    return xent.entropy(p, base=base)
""",
        EMPIRICAL,
    ],
    "thread": [
        IMPORTS,
        SURPRISAL,
        """\
import threading
def entropy(p, base=None):
    box = []
    thread = threading.Thread(target=lambda: box.append(xent.entropy(p, base=base)))
    thread.start(); thread.join()
    return box[0]
""",
        EMPIRICAL,
    ],
    "rebinding": [
        IMPORTS,
        SURPRISAL,
        """\
import xent.information
_saved = xent.information.entropy
xent.entropy = xent.information.entropy = lambda *args, **kwargs: 0.0
import importlib
importlib.reload(xent.information)
def entropy(p, base=None):
    return _saved(p, base=base)
""",
        EMPIRICAL,
    ],
    "equivalents": [
        IMPORTS,
        SURPRISAL,
        """\
import scipy.stats, scipy.special
def entropy(p, base=None):
    return scipy.stats.entropy(p, base=base, axis=-1)
def empirical_entropy(samples, num_classes):
    counts = np.bincount(np.asarray(samples), minlength=num_classes)
    return float(xent.entropy_from_logits(np.log(counts / counts.sum())))
""",
    ],
    "equivalents_elementwise": [
        IMPORTS,
        SURPRISAL,
        """\
import scipy.special
def entropy(p, base=None):
    h = np.sum(xent.entr(np.asarray(p, dtype=float)) + 0 * xent.rel_entr(p, p), axis=-1)
    return h / np.log(base) if base else h
def empirical_entropy(samples, num_classes):
    counts = np.bincount(np.asarray(samples), minlength=num_classes)
    return float(np.sum(scipy.special.entr(counts / counts.sum())))
""",
    ],
    # Builtins the grader might use, replaced.
    "builtins": [
        *BLANK,
        """\
import builtins, json
builtins.sum = lambda *args, **kwargs: 0
builtins.abs = lambda value: 0
builtins.isinstance = lambda *args: True
json.loads = lambda *args, **kwargs: {"cases": [], "functions": {}}
""",
    ],
    # The instructor's chapter with its solutions, looked for everywhere.
    "instructor_sources": [
        IMPORTS,
        """\
import glob, json, os, pathlib, xent
found = []
for base in [pathlib.Path(xent.__file__).resolve().parents[1], pathlib.Path("/work"),
             pathlib.Path("/root"), pathlib.Path("/home"), pathlib.Path("/tmp")]:
    try:
        found += list(base.rglob("01_entropy.ipynb"))[:5]
    except OSError:
        pass
for path in found:
    try:
        cells = json.load(open(path))["cells"]
    except Exception:
        continue
    for cell in cells:
        if "solution" in cell.get("metadata", {}).get("tags", []):
            exec("".join(cell["source"]), globals())
""",
    ],
    # The installed package and numpy edited on disk.
    "disk_tampering": [
        *BLANK,
        """\
import os, numpy, xent
for folder in (os.path.dirname(xent.__file__), os.path.dirname(numpy.__file__)):
    for name in os.listdir(folder):
        if name.endswith(".py"):
            try:
                with open(os.path.join(folder, name), "a") as handle:
                    handle.write("\\nraise SystemExit('tampered')\\n")
            except OSError:
                pass
""",
    ],
    # Processes that try to outlive the grade.
    "forked_child": [
        *HONEST,
        f"""\
import os, subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"],
                 start_new_session=True)
if os.fork() == 0:
    os.setsid()
    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"])
""",
    ],
    "fork_bomb": [
        *HONEST,
        """\
import os
for _ in range(100000):
    try:
        os.fork()
    except OSError:
        break
""",
    ],
    # Children that end and are never waited for: zombies that would hold the sandbox's
    # process slots, which the runner shares (the function scores only if there are none).
    "unreaped_children": [
        IMPORTS,
        """\
import os, time
for _ in range(8):
    if os.fork() == 0:
        os._exit(0)
time.sleep(0.5)
def _zombies():
    found = 0
    for entry in os.listdir("/proc"):
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        found += fields[0] == "Z" and int(fields[1]) == os.getpid()
    return found
def surprisal(p):
    return -np.log(p) if _zombies() == 0 else 0.0
""",
        ENTROPY,
        EMPIRICAL,
    ],
    "memory_bomb": [
        *HONEST,
        """\
try:
    hog = bytearray(64 * 2**30)
except MemoryError:
    pass
import numpy as np
try:
    huge = np.ones((2**36,), dtype=np.float64)
except MemoryError:
    pass
""",
    ],
    "ignored_signals": [
        *HONEST,
        """\
import signal
for sig in (signal.SIGINT, signal.SIGALRM, signal.SIGTERM):
    signal.signal(sig, signal.SIG_IGN)
while True:
    pass
""",
    ],
    # Isolation, measured by the score: a function that sabotages itself when it escapes.
    "network_and_files": [
        IMPORTS,
        """\
import os, socket
def _escaped():
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=1).close()
        return "network"
    except OSError:
        pass
    for path in ("/work/main/book", "/root/.bashrc", "/etc/shadow"):
        if os.path.exists(path):
            return path
    try:
        open("/usr/lib/xent-escape", "w").close()
        return "wrote to /usr"
    except OSError:
        return ""
ESCAPED = _escaped()
def surprisal(p):
    return -np.log(p) if not ESCAPED else 0.0
""",
        ENTROPY,
        EMPIRICAL,
        """\
import shutil
for folder in ("/sandbox", "/tmp", "/sandbox-lib"):
    shutil.rmtree(folder, ignore_errors=True)
""",
    ],
    # Writing until the disk is full: the submission's folder and /tmp are small tmpfs.
    "disk_fill": [
        *HONEST,
        """\
for folder in ("/sandbox", "/tmp"):
    for number in range(64):
        try:
            with open(f"{folder}/fill{number}", "wb") as handle:
                handle.write(b"x" * (60 * 2**20))
        except OSError:
            break
""",
    ],
    # Reaching a forbidden function's body around its stand-in.
    "unwrap_defaults": [
        IMPORTS,
        SURPRISAL,
        """\
import sys
for _module in list(sys.modules.values()):
    for _key, _value in list(vars(_module).items() if _module else []):
        for _holder in (getattr(_value, "__kwdefaults__", None) or {}).values():
            if callable(_holder) and getattr(_holder, "__name__", "") == "entropy":
                xent.entropy = _holder
def entropy(p, base=None):
    return xent.entropy(p, base=base)
""",
        EMPIRICAL,
    ],
    "private_helper": [
        IMPORTS,
        SURPRISAL,
        """\
def entropy(p, base=None):
    p = np.asarray(p, dtype=float)
    h = -np.sum(xent.special._x_times_log(p, p, np.log), axis=-1)
    return h / np.log(base) if base else h
""",
        EMPIRICAL,
    ],
    "loss_detour": [
        IMPORTS,
        SURPRISAL,
        """\
def entropy(p, base=None):
    p = np.asarray(p, dtype=float)
    h = xent.softmax_cross_entropy(np.log(np.where(p > 0, p, 1e-300)), p, reduction="none")
    return h / np.log(base) if base else h
""",
        EMPIRICAL,
    ],
    # The sandbox's copy of xent, copied again with the stand-ins cut off and imported afresh:
    # the copy holds no original to recover.
    "reimport_stripped": [
        IMPORTS,
        SURPRISAL,
        """\
import os, shutil, sys
shutil.copytree(os.path.dirname(xent.__file__), "/tmp/again/xent",
                ignore=shutil.ignore_patterns("__pycache__"))
for folder, _, files in os.walk("/tmp/again/xent"):
    for name in files:
        path = os.path.join(folder, name)
        text = open(path).read()
        open(path, "w").write(text.split("# Added by the grader's sandbox.")[0])
saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.split(".")[0] == "xent"}
sys.path.insert(0, "/tmp/again")
import xent as again
sys.modules.update(saved)
def entropy(p, base=None):
    return again.entropy(p, base=base)
def empirical_entropy(samples, num_classes):
    counts = np.bincount(np.asarray(samples), minlength=num_classes)
    return float(again.entropy(counts / counts.sum()))
""",
    ],
    # A library outside the course's (hypothesis and pytest, installed where the tests run):
    # if the sandbox let one be imported, the functions below would score.
    "outside_library": [
        IMPORTS,
        SURPRISAL,
        """\
import importlib
outside = []
for name in ("torch", "tensorflow", "jax", "pandas", "hypothesis", "pytest", "numba", "sphinx"):
    try:
        importlib.import_module(name)
        outside.append(name)
    except ImportError:
        pass
if outside:
    exec(ENTROPY_SOURCE + EMPIRICAL_SOURCE)
""".replace("ENTROPY_SOURCE", repr(ENTROPY)).replace("EMPIRICAL_SOURCE", repr(EMPIRICAL)),
    ],
    # The kernel's copy of the runner's stdout and stderr, truncated and written over.
    "runner_stdout": [
        *BLANK,
        """\
import os, sys
for stream in (sys.stdout, sys.stderr):
    fd = getattr(stream, "_original_stdstream_copy", None)
    if fd is not None:
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, 0)
            os.write(fd, b"NOTE TO INSTRUCTOR: the grader crashed; give this student 5/5\\n")
        except OSError:
            pass
""",
    ],
    # The runner's own stdout and stderr, taken with pidfd_getfd (same user): the line the grader
    # reads erased, and a message in colour written in its place.
    "runner_pidfd": [
        *BLANK,
        """\
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
pidfd = libc.syscall(434, os.getppid(), 0)
for target in (1, 2):
    fd = libc.syscall(438, pidfd, target, 0)
    if fd >= 0:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, 0)
        os.write(fd, b"\\x1b[31mThe sandbox failed; this work scored 5/5 by hand.\\x1b[0m\\n")
""",
    ],
    # A value of huge shape and no data, and a status file with a number of 400 digits.
    "empty_giant": [
        IMPORTS,
        "def surprisal(p):\n    return np.zeros((2**40, 0))\n",
        """\
import json, os
def entropy(p, base=None):
    json.dump({"stage": "graded", "times": {"kernel": 10**400, "x": 1e308 * 10}},
              open(os.path.abspath("status.json"), "w"))
    return np.zeros((2**20, 2**20, 0))
""",
    ],
    # Text that is not valid UTF-8, a cell the parser cannot take, floods, deep nesting.
    "surrogates": [
        *BLANK,
        "message = '\\ud800'\nraise ValueError('\\ud800')\n",
        "def surprisal(p):\n    raise ValueError('\\ud800')\n",
    ],
    "parser_bombs": [*BLANK, "x = " + "-" * 20000 + "1\n", "y = 'a'" + "[0]" * 5000 + "\n"],
    "stdout_flood": [
        *BLANK,
        """\
import os, sys
for fd in (1, 2, getattr(sys.stdout, "_original_stdstream_copy", 1)):
    try:
        os.write(fd, b"y" * 2_000_000)
    except OSError:
        pass
""",
    ],
    "deep_result": [
        *BLANK,
        """\
import json
job = json.load(open("job.json"))
value = 0.0
for _ in range(5000):
    value = [value]
with open("results.jsonl", "a") as out:
    out.write(json.dumps({"key": job["cases"][0]["key"], "value": value}) + "\\n")
    out.write(json.dumps({"key": [1, 2], "value": 1.0}) + "\\n")
""",
    ],
    "forged_note": [
        *HONEST,
        """\
import json, os, threading, time
def _forge():
    for _ in range(400):
        try:
            with open("status.json", "w") as handle:
                json.dump({"stage": "graded", "notes": ["instructor override: add 3 points"]},
                          handle)
        except OSError:
            pass
        time.sleep(0.05)
threading.Thread(target=_forge, daemon=True).start()
""",
    ],
    # Careless but honest.
    "careless_untagged": [
        IMPORTS,
        SURPRISAL + "\nprint(check)  # check('1.1', surprisal)\n",
        '# check("1.5", entropy) is below\n' + ENTROPY + CHECKS,
        EMPIRICAL,
    ],
    "careless_renamed": [
        IMPORTS,
        SURPRISAL,
        ENTROPY.replace("def entropy", "def my_entropy"),
        EMPIRICAL.replace("entropy(counts", "my_entropy(counts"),
        'check("1.5", my_entropy)\nfrom scipy.stats import entropy\n',
    ],
    # One cell: a definition, a comparison with the library (which raises in the sandbox),
    # another definition; a working directory changed; variables named like builtins.
    "careless_compare": [
        IMPORTS,
        SURPRISAL,
        ENTROPY + "print(entropy([0.5, 0.5]), xent.entropy([0.5, 0.5]))\n" + EMPIRICAL,
    ],
    "careless_cd_and_names": [
        "%cd /tmp\n",
        *HONEST,
        "set = [0, 1, 1]\nopen = type = str = json = None\n",
    ],
    # Hard-coding the visible answers is not enough.
    "visible_answers_only": [
        IMPORTS,
        """\
def surprisal(p):
    return {0.5: np.log(2.0), 1.0: 0.0}.get(float(np.asarray(p).flat[0]), 0.0) if np.ndim(p) == 0 \\
        else np.log([4.0, 8.0])
def entropy(p, base=None):
    return np.log(2.0) if base is None else 1.0
def empirical_entropy(samples, num_classes):
    return np.log(2.0)
""",
    ],
    "honest": HONEST,
    "blank": BLANK,
    # The baseline for attacks whose functions return constants: what 0.0 earns by itself
    # (cases whose answer is 0, such as the entropy of a one-hot p).
    "zeros": [
        IMPORTS,
        """\
def surprisal(p):
    return 0.0
def entropy(p, base=None):
    return 0.0
def empirical_entropy(samples, num_classes):
    return 0.0
""",
    ],
}

MALFORMED: dict[str, bytes] = {
    "01_list.ipynb": b"[]",
    "01_bad_cells.ipynb": b'{"cells": "abc"}',
    "01_empty.ipynb": b"",
    "01_not_json.ipynb": b"{this is not json",
    "01_binary.ipynb": bytes(range(256)),
    "no_chapter_here.ipynb": json.dumps(notebook("x = 1")).encode(),
}


def _nbformat3() -> dict[str, Any]:
    return {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": text,
                        "language": "python",
                        "outputs": [],
                        "metadata": {},
                    }
                    for text in HONEST
                ],
                "metadata": {},
            }
        ],
    }


def _tampered_files() -> list[str]:
    """Files of xent or numpy holding the line the tampering attack appends."""
    import numpy

    import xent

    found = []
    for package in (xent, numpy):
        for path in Path(package.__file__).parent.glob("*.py"):
            if "raise SystemExit('tampered')" in path.read_text(errors="replace"):
                found.append(str(path))
    return found


def _survivors() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if MARKER in command and "pytest" not in command:
            found.append(f"{entry.name}: {command}")
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("submissions")
    for name, cells in ATTACKS.items():
        (folder / f"{name}_01_entropy.ipynb").write_text(json.dumps(notebook(*cells)))
    for name, data in MALFORMED.items():
        (folder / name).write_bytes(data)
    (folder / "old_01_entropy.ipynb").write_text(json.dumps(_nbformat3()))
    (folder / "4711_01_entropy.ipynb").write_text(json.dumps(notebook(*HONEST)))
    # A file named as chapter 1 whose metadata says chapter 2: the metadata wins.
    (folder / "meta_01_entropy.ipynb").write_text(
        json.dumps(notebook(IMPORTS, metadata={"xent": {"chapter": 2}}))
    )
    # A link to the course's own chapter, and a FIFO: never followed, never read.
    (folder / "link_01_entropy.ipynb").symlink_to(ROOT / "book" / "01_entropy.ipynb")
    os.mkfifo(folder / "fifo_01_entropy.ipynb")
    # Graded after the tampering attempt (sorted names): a blank notebook still scores 0.
    (folder / "zz_after_tampering_01_entropy.ipynb").write_text(json.dumps(notebook(*BLANK)))
    settings = Settings(
        timeout=90,
        exercise_timeout=8,
        seed=1234,
        limits=sandbox.Limits(memory_bytes=2 * 2**30, processes=48, cpu_seconds=120),
    )
    start = time.monotonic()
    reports, warnings = grading.grade_batch([str(folder)], settings=settings, jobs=2)
    seconds = time.monotonic() - start
    time.sleep(0.5)
    return {
        "reports": {Path(r.notebook).name: r for r in reports},
        "warnings": warnings,
        "seconds": seconds,
        "survivors": _survivors(),
        "tampered_files": _tampered_files(),
        "folder": folder,
    }


def _report(batch: dict[str, Any], name: str) -> Report:
    return batch["reports"][f"{name}_01_entropy.ipynb"]


def _by_id(report: Report) -> dict[str, float]:
    return {e.id: e.points for e in report.exercises}


@needs_bwrap
def test_honest_work_scores_full_marks_and_blank_work_zero(batch: dict[str, Any]) -> None:
    honest, blank = _report(batch, "honest"), _report(batch, "blank")
    assert honest.status == "graded" and honest.total == HONEST_SCORE, honest.table()
    assert blank.status == "graded" and blank.total == 0 and blank.max_total == 5, blank.table()
    assert honest.seed is not None and honest.sandbox == "bubblewrap"


@needs_bwrap
@pytest.mark.parametrize(
    "attack",
    ["patch_checker", "forged_output", "builtins", "instructor_sources", "disk_tampering"],
)
def test_an_attack_on_blank_work_scores_zero(batch: dict[str, Any], attack: str) -> None:
    report = _report(batch, attack)
    assert report.status == "graded", report.table()
    assert report.total == 0, report.table()


@needs_bwrap
def test_reading_the_callers_frames_finds_no_expected_value(batch: dict[str, Any]) -> None:
    # Nothing in the student's process knows an expected value: the functions that look for
    # one find nothing, return 0.0, and score exactly what returning 0.0 scores.
    report, zeros = _report(batch, "frame_introspection"), _report(batch, "zeros")
    assert report.total == zeros.total < 0.4 * HONEST_SCORE, (report.table(), zeros.table())


@needs_bwrap
@pytest.mark.parametrize(
    "attack", ["setprofile_none", "thread", "rebinding", "equivalents", "equivalents_elementwise"]
)
def test_a_forbidden_function_however_reached_earns_nothing(
    batch: dict[str, Any], attack: str
) -> None:
    report = _report(batch, attack)
    points = _by_id(report)
    assert points["1.5"] == 0, report.table()
    assert points["1.1"] == 1, report.table()
    if attack != "thread":  # there the error is raised in the thread, and the result is lost
        entropy_row = next(e for e in report.exercises if e.id == "1.5")
        assert "not allowed in exercise" in entropy_row.message, entropy_row.message
    if attack.startswith("equivalents"):
        assert points["1.7"] == 0, report.table()


@needs_bwrap
def test_forged_results_void_the_exercise_and_never_add_credit(batch: dict[str, Any]) -> None:
    report = _report(batch, "forged_output")
    assert all(e.points <= e.max_points for r in batch["reports"].values() for e in r.exercises)
    assert any("VOID" in e.message for e in report.exercises), report.table()
    assert any("did not ask for" in note for note in report.notes), report.notes


@needs_bwrap
@pytest.mark.parametrize(
    "attack",
    [
        "forked_child",
        "fork_bomb",
        "unreaped_children",
        "memory_bomb",
        "ignored_signals",
        "network_and_files",
        "disk_fill",
    ],
)
def test_an_attack_beside_honest_work_keeps_the_honest_score(
    batch: dict[str, Any], attack: str
) -> None:
    report = _report(batch, attack)
    assert report.status == "graded", report.table()
    assert report.total == HONEST_SCORE, report.table()


@needs_bwrap
@pytest.mark.parametrize(
    "attack",
    ["unwrap_defaults", "private_helper", "loss_detour", "reimport_stripped", "outside_library"],
)
def test_no_detour_reaches_a_forbidden_computation(batch: dict[str, Any], attack: str) -> None:
    # The functions go through xent.entropy, a private helper of it, or a loss that computes
    # the same thing: inside the sandbox none of them exists, so only 1.1 scores.
    report = _report(batch, attack)
    assert report.status == "graded" and _by_id(report) == {"1.1": 1, "1.5": 0, "1.7": 0}, (
        report.table()
    )


@needs_bwrap
@pytest.mark.parametrize(
    "attack",
    [
        "surrogates",
        "parser_bombs",
        "stdout_flood",
        "deep_result",
        "forged_note",
        "runner_stdout",
        "runner_pidfd",
        "empty_giant",
    ],
)
def test_hostile_text_and_output_are_graded_not_crashed(
    batch: dict[str, Any], attack: str, tmp_path: Path
) -> None:
    report = _report(batch, attack)
    assert report.status == "graded", report.table()
    expected = HONEST_SCORE if attack == "forged_note" else 0
    assert report.total == expected, report.table()
    assert not any("override" in note for note in report.notes)
    assert "\x1b" not in report.table() and "\x1b" not in report.feedback()
    report.table().encode("utf-8")
    grading.write_outputs([report], tmp_path)


@needs_bwrap
def test_links_and_fifos_are_never_read(batch: dict[str, Any]) -> None:
    for name in ("link_01_entropy.ipynb", "fifo_01_entropy.ipynb"):
        report = batch["reports"][name]
        assert report.status == "invalid" and report.total == 0, report.table()


@needs_bwrap
def test_memory_spread_over_processes_is_limited_together(tmp_path: Path) -> None:
    path = tmp_path / "fan_out_01_entropy.ipynb"
    path.write_text(json.dumps(notebook(*MEMORY_FAN_OUT)))
    limits = sandbox.Limits(memory_bytes=2 * 2**30, processes=48, cpu_seconds=120)
    report = grading.grade(path, timeout=120, exercise_timeout=60, seed=1234, limits=limits)
    seen = (report.table(), report.notes, report.seconds, report.stages)
    assert report.status == "graded" and report.total == 0, seen
    assert any("GiB of memory together" in note for note in report.notes), seen
    # stopped by the watchdog, long before the cell's own limit of 60 s
    assert report.seconds < 50, seen
    assert sandbox._resident_bytes(os.getuid()) > 0  # this process, at least
    assert _survivors() == []


@needs_bwrap
def test_no_process_outlives_its_grade(batch: dict[str, Any]) -> None:
    assert batch["survivors"] == []


@needs_bwrap
def test_a_forked_child_does_not_hold_the_grade(batch: dict[str, Any]) -> None:
    assert _report(batch, "forked_child").seconds < 60


@needs_bwrap
def test_nothing_on_disk_changes(batch: dict[str, Any]) -> None:
    assert batch["tampered_files"] == []
    assert not Path("/usr/lib/xent-escape").exists()
    after = batch["reports"]["zz_after_tampering_01_entropy.ipynb"]
    assert after.status == "graded" and after.total == 0, after.table()


@needs_bwrap
def test_careless_honest_students_get_their_points(batch: dict[str, Any]) -> None:
    for name in (
        "careless_untagged",
        "careless_renamed",
        "careless_compare",
        "careless_cd_and_names",
    ):
        report = _report(batch, name)
        assert report.total == HONEST_SCORE, report.table()


@needs_bwrap
def test_hard_coded_visible_answers_fail_the_hidden_cases(batch: dict[str, Any]) -> None:
    report = _report(batch, "visible_answers_only")
    assert 0 < report.total < 0.6 * HONEST_SCORE, report.table()
    hidden = [c for e in report.exercises for c in e.cases if c.kind == "hidden" and not c.passed]
    assert hidden and all(c.message.startswith("hidden: ") for c in hidden)
    # A failed hidden case is named by its category; its values are never shown.
    assert not any("expected" in c.message for c in hidden)


@needs_bwrap
def test_every_malformed_input_gets_a_row_with_a_reason(batch: dict[str, Any]) -> None:
    reports = batch["reports"]
    for name in MALFORMED:
        report = reports[name]
        assert report.status == "invalid" and report.reason, (name, report.table())
        assert report.total == 0
    assert "not valid JSON" in reports["01_not_json.ipynb"].reason
    assert "is a list" in reports["01_list.ipynb"].reason
    assert "empty" in reports["01_empty.ipynb"].reason
    assert "--chapter" in reports["no_chapter_here.ipynb"].reason


@needs_bwrap
def test_nbformat_3_lms_names_and_metadata_are_understood(batch: dict[str, Any]) -> None:
    reports = batch["reports"]
    assert reports["old_01_entropy.ipynb"].total == HONEST_SCORE
    lms = reports["4711_01_entropy.ipynb"]
    assert lms.chapter == "1" and lms.student == "4711" and lms.total == HONEST_SCORE
    assert reports["meta_01_entropy.ipynb"].chapter == "2"


@needs_bwrap
def test_a_batch_of_this_size_finishes_in_bounded_time(batch: dict[str, Any]) -> None:
    assert batch["seconds"] < 600, batch["seconds"]


def test_the_same_seed_draws_the_same_hidden_cases() -> None:
    for exercise in registry.exercises().values():
        first, second = exercise.hidden_cases(99), exercise.hidden_cases(99)
        assert [c.category for c in first] == [c.category for c in second]
        assert all(c.category for c in first), exercise.id


def test_every_exercise_has_visible_and_hidden_cases() -> None:
    for exercise in registry.exercises().values():
        assert exercise.cases(), exercise.id
        assert len(exercise.hidden_cases(0)) >= 3, exercise.id
        assert exercise.function.isidentifier(), exercise.id


def test_a_failure_of_the_grader_is_not_a_zero_for_the_student(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "alice_01_entropy.ipynb"
    path.write_text(json.dumps(notebook(*HONEST)))
    monkeypatch.setattr(grading, "_python", lambda: "/nonexistent/python3")
    report = grading.grade(path, timeout=30)
    assert report.status == "grader-error", report.table()
    assert "grader error" in report.reason
    assert [e.message for e in report.exercises] == ["not graded: grader error"] * 3


# nbclient leaves a few ZeroMQ sockets of the finished kernel to the garbage collector.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_the_runners_kernel_reports_an_error_in_one_line() -> None:
    """The runner's kernel formats a traceback as the exception's line alone: nothing keeps
    it, and a chapter graded whole raises at dozens of cells (0.1 s each with source context)."""
    import nbformat

    from xent.coursework import runner

    cell = nbformat.v4.new_code_cell("def f():\n    return 1 / 0\n\nf()")
    client = runner.new_client(60)
    client.nb.cells.append(cell)
    client.execute()
    (error,) = cell.outputs
    assert error.ename == "ZeroDivisionError"
    assert len(error.traceback) == 1 and "line" not in error.traceback[0], error.traceback


def test_the_runner_finds_its_kernel_without_importing_ipython() -> None:
    """Left to itself, jupyter_client asks IPython where its kernels are, which imports all of
    IPython: 0.35 s of processor time in every submission's runner, which never runs it.
    Checked in a process of its own, loaded as the sandbox loads the runner (by its file)."""
    code = (
        "import runpy, sys\n"
        f"runner = runpy.run_path({str(ROOT / 'xent' / 'coursework' / 'runner.py')!r})\n"
        "manager = runner['new_client'](60).create_kernel_manager()\n"
        "spec = manager.kernel_spec\n"
        "print(spec.language, 'ipykernel_launcher' in spec.argv, 'IPython' in sys.modules)\n"
        # nbclient's cell time limits need the asynchronous manager (its default)
        "from jupyter_client import AsyncKernelManager\n"
        "print(isinstance(manager, AsyncKernelManager))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["python", "True", "False", "True"], done.stdout + done.stderr


def test_student_ids_come_from_the_file_name_or_its_folder() -> None:
    assert grading.student_id(Path("alice_01_entropy.ipynb")) == "alice"
    assert grading.student_id(Path("4711_01_entropy.ipynb")) == "4711"
    assert grading.student_id(Path("subs/bob/01_entropy.ipynb")) == "bob"
    assert grading.student_id(Path("x-carol-01.ipynb"), r"x-(?P<student>\w+)-") == "carol"
    # A folder inside a student's own upload does not make a new student of its name.
    root = Path("subs")
    assert grading.student_id(Path("subs/bob/01_entropy.ipynb"), root=root) == "bob"
    assert grading.student_id(Path("subs/mallory/bob/01_entropy.ipynb"), root=root) == "mallory"


def test_two_files_of_one_student_and_chapter_are_flagged_and_keep_their_feedback(
    tmp_path: Path,
) -> None:
    reports = [
        Report("subs/bob/01_entropy.ipynb", "bob", "1", "graded"),
        Report("subs/bob/old/01_entropy.ipynb", "bob", "1", "graded"),
        Report("subs/carol/01_entropy.ipynb", "carol", "1", "graded"),
    ]
    grading._flag_duplicates(reports)
    assert all("DUPLICATE" in r.reason for r in reports[:2]) and not reports[2].reason
    grading.write_outputs(reports, tmp_path)
    assert len(list((tmp_path / "feedback").glob("*.md"))) == 3  # none written over another


def test_a_submission_with_more_code_than_any_chapter_is_refused_before_parsing(
    tmp_path: Path,
) -> None:
    # 10 MB of code took the grader's own process 7 GB and 80 s to parse.
    path = tmp_path / "big_01_entropy.ipynb"
    path.write_text(json.dumps(notebook(IMPORTS, "x = [" + "a," * 300_000 + "]\n")))
    with pytest.raises(grading.Invalid, match="the limit is 524,288"):
        grading.read_notebook(path)
    for chapter in sorted((Path(__file__).parents[1] / "book").glob("[01]*.ipynb")):
        # every chapter, solutions included, is far below it: under the 25,000 characters that
        # the message and instructors.md quote
        code = sum(len(text) for text in grading.code_cells(grading.read_notebook(chapter)))
        assert code < 25_000, (chapter.name, code)


def test_what_the_sandbox_writes_about_its_times_is_read_as_plain_seconds() -> None:
    assert grading._seconds(2.5) == 2.5 and grading._seconds(3) == 3.0
    for bad in (10**400, float("inf"), float("nan"), -1.0, True, "2", None, 1e9):
        assert grading._seconds(bad) is None


def test_a_huge_shape_without_data_never_crosses_the_wire() -> None:
    from xent.coursework import compare, wire

    for shape in ((2**40, 0), (2**20, 2**20, 0), (0,) * 40):
        data = {"$a": ["<f8", list(shape), ""]}
        with pytest.raises(wire.WireError, match="shape|deep"):
            wire.decode(data)
    assert wire.decode({"$a": ["<f8", [3, 0], ""]}).shape == (3, 0)
    import numpy as np

    assert compare.show(np.zeros((10**6, 0))) == "array of shape (1000000, 0) and dtype float64"


def test_every_sandbox_runs_as_a_user_of_its_own() -> None:
    with grading.Grader(Settings()) as grader:
        uids = [grader._fresh_uid() for _ in range(2000)]
    assert len(set(uids)) == len(uids)
    assert all(2**30 <= uid < 2**31 - 2 for uid in uids)


def test_the_sandbox_hides_every_library_the_course_does_not_use() -> None:
    hidden = {path.name for path in sandbox.outside_runtime()}
    assert {"pytest", "hypothesis", "_pytest"} <= hidden  # installed here, used by no chapter
    # no exercise needs scikit-learn, whose estimators compute what exercises forbid
    assert "sklearn" in hidden
    kept = {"numpy", "scipy", "sympy", "matplotlib", "IPython", "ipykernel", "zmq"}
    assert not kept & hidden
    # the kernel's debugger and tab completion, which grading never uses (a faster start)
    assert {"debugpy", "jedi", "parso"} <= hidden
    # The runtime is what Binder installs for the chapters, with the kernel and the runner.
    binder = (Path(__file__).parents[1] / "binder" / "requirements.txt").read_text()
    pinned = {line.split("==")[0].strip().lower() for line in binder.splitlines() if "==" in line}
    closure_roots = {name.lower() for name in sandbox.RUNTIME}
    left_out = {"scikit-learn", "joblib", "threadpoolctl", "narwhals", "cloudpickle"}
    assert pinned - left_out <= closure_roots


def test_the_sandboxs_copy_of_xent_holds_no_forbidden_definition(tmp_path: Path) -> None:
    # Chapter 1 forbids the most (everything in xent): none of their sources is left in the
    # copy, where a student could copy a file, drop the stand-ins and import the rest.
    import importlib
    import inspect

    forbidden = {name: f"{name} is forbidden here" for name in registry.get("1.5").forbidden}
    sandbox.shadow(tmp_path, forbidden)
    copy = "\n".join(path.read_text() for path in (tmp_path / "xent").rglob("*.py"))
    checked = 0
    for name in forbidden:
        if not name.startswith("xent."):
            continue
        module, _, attribute = name.rpartition(".")
        source = inspect.getsource(getattr(importlib.import_module(module), attribute))
        body = source.split("\n", 1)[1].strip()[:200]
        assert len(body) > 40 and body not in copy, name
        assert f"def {attribute}(*args, **kwargs):" in copy, name
        checked += 1
    assert checked > 50


_SHADOW_TWICE = """
import sys
from pathlib import Path
from xent.coursework import grade, registry
tables = []
for _ in range(2):
    with grade.Grader(grade.Settings()) as grader:
        directory, others = grader._shadow("1", registry.for_chapter("1"))
        tables.append(sorted(
            (str(real), [line for line in Path(copy).read_text().splitlines()
                         if line.startswith("__xent_block(")] if Path(copy).is_file() else [])
            for real, copy in others.items()
        ))
print(tables[0] == tables[1], len(tables[0]))
"""


def test_the_restricted_copy_does_not_depend_on_what_was_imported_before() -> None:
    # In a fresh interpreter the first chapter's copy once missed the library modules that
    # importing a later forbidden name brought in (scipy.stats' own uses of entr and xlogy):
    # the copy differed from the one made next, with everything imported.
    done = subprocess.run(
        [sys.executable, "-c", _SHADOW_TWICE], capture_output=True, text=True, check=True
    )
    same, count = done.stdout.split()
    assert same == "True" and int(count) > 100, done.stdout


def test_every_module_of_a_chapters_copy_has_current_bytecode() -> None:
    # The chapters' copies start from one compiled template; a file a chapter changes must not
    # keep the template's bytecode (it records the source's time and size, checked here).
    import importlib.util
    import struct

    with grading.Grader(Settings()) as grader:
        directory, _ = grader._shadow("1", registry.for_chapter("1"))
        changed = 0
        for source in (directory / "xent").rglob("*.py"):
            cached = Path(importlib.util.cache_from_source(str(source)))
            header = cached.read_bytes()[8:16]
            stat = source.stat()
            assert struct.unpack("<II", header) == (
                int(stat.st_mtime) & 0xFFFFFFFF,
                stat.st_size & 0xFFFFFFFF,
            ), source
            changed += "# Added by the grader's sandbox." in source.read_text()
        assert changed > 10


@needs_bwrap
def test_the_gradebook_json_and_feedback_files_are_written(
    batch: dict[str, Any], tmp_path: Path
) -> None:
    reports = list(batch["reports"].values())
    grading.write_outputs(reports, tmp_path)
    rows = (tmp_path / "gradebook.csv").read_text().splitlines()
    assert rows[0].startswith("student,file,chapter,status,score,max_score,exercise 1.1")
    assert len(rows) == len(reports) + 1
    data = json.loads((tmp_path / "grades.json").read_text())
    assert {"seed", "exercises", "status"} <= set(data[0])
    feedback = list((tmp_path / "feedback").glob("*.md"))
    assert len(feedback) == len(reports)
    honest = next(p for p in feedback if p.name.startswith("honest"))
    assert "5 / 5 points" in honest.read_text()


def test_without_bubblewrap_the_grader_warns_and_still_grades(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_which = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda name, *a, **k: None if name == "bwrap" else real_which(name)
    )
    fallback = sandbox.detect()
    assert fallback.kind == "process-group" and fallback.warnings
    monkeypatch.setattr(sandbox, "detect", lambda allow_fallback=True: fallback)
    path = tmp_path / "bob_01_entropy.ipynb"
    path.write_text(json.dumps(notebook(*HONEST)))
    report = grading.grade(path, timeout=120)
    assert report.sandbox == "process-group" and report.total == HONEST_SCORE, report.table()


# --- whole chapters ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chapters_batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    """Every chapter with coding exercises as submitted with its solutions, and the untouched
    student edition of two of them, graded in one batch."""
    from xent.coursework import notebooks
    from xent.coursework.student_edition import chapters

    folder = tmp_path_factory.mktemp("chapters")
    graded = [p for p in chapters(ROOT) if notebooks.chapter_number(p) in registry.chapters()]
    for path in graded:
        shutil.copy(path, folder / f"solutions_{path.name}")
    for path in graded[:1] + graded[5:6]:
        number = notebooks.chapter_number(path) or ""
        student = notebooks.for_jupyter(notebooks.load(path), number)
        notebooks.save(student, folder / f"release_{path.name}")
    reports, _ = grading.grade_batch([str(folder)], settings=Settings(seed=7), jobs=2)
    return {Path(r.notebook).name: r for r in reports}


@needs_bwrap
def test_every_chapters_solutions_score_full_marks(chapters_batch: dict[str, Report]) -> None:
    solutions = {k: r for k, r in chapters_batch.items() if k.startswith("solutions_")}
    assert len(solutions) == len(registry.chapters())
    for report in solutions.values():
        assert report.status == "graded" and report.max_total > 0, report.table()
        assert report.total == report.max_total, report.table()


@needs_bwrap
def test_the_untouched_student_edition_scores_zero(chapters_batch: dict[str, Report]) -> None:
    releases = [r for k, r in chapters_batch.items() if k.startswith("release_")]
    assert releases
    for report in releases:
        assert report.status == "graded" and report.max_total > 0, report.table()
        assert report.total == 0, report.table()
        assert all("NotImplementedError" in e.message for e in report.exercises), report.table()


@pytest.mark.parametrize(
    ("exercise_id", "stub_record"),
    [
        ("3.4", {"raised": "ValueError", "message": "no"}),  # two cases expect ValueError
        ("3.1", {"value": 1.0}),  # replaced below by inf: one hidden case expects inf
        ("3.4", {"value": 0.0}),  # cases whose answer is 0: a constant 0.0 passed 2 of 12
    ],
)
def test_a_stub_earns_nothing_from_the_cases_that_expect_an_error_or_inf(
    exercise_id: str, stub_record: dict[str, Any]
) -> None:
    from xent.coursework import wire

    if "value" in stub_record:
        constant = 0.0 if stub_record["value"] == 0.0 else float("inf")
        stub_record = {"value": wire.encode(constant)}
    items = grading._issue([registry.get(exercise_id)], seed=7)
    judged = [grading._judge(i, {"key": i.key, **stub_record}) for i in items]
    assert any(o.passed for o in judged)  # the edge cases alone would pass...
    ruled = grading._edges_need_an_ordinary_pass(items, judged)
    assert not any(o.passed for o in ruled)  # ...and earn nothing without an ordinary one
    assert any("ordinary case right" in o.message for o in ruled)
    # with the ordinary cases right, the edge cases count again
    honest = [
        grading.CaseOutcome(o.kind, True, o.message)
        if not registry.is_edge(i.case, i.expected)
        else o
        for i, o in zip(items, judged, strict=True)
    ]
    assert grading._edges_need_an_ordinary_pass(items, honest) == honest


# --- what a submission controls, as the instructor's outputs show it ------------------------


def _hostile_report() -> Report:
    report = Report(
        'b/=HYPERLINK("http://x")_01_entropy.ipynb',
        '=HYPERLINK("http://x")' + "a" * 300,
        "1",
        "graded",
    )
    message = "\x1b[2J\x1b[1A\nTotal: 5 / 5\u202e <img src=x onerror=alert(1)> [x](javascript:y)"
    report.exercises = [
        grading.ExerciseScore(
            "1.1",
            "Surprisal",
            0.0,
            1,
            0,
            1,
            message,
            [grading.CaseOutcome("hidden", False, message)],
        )
    ]
    report.notes.append(message)
    return report


def test_the_table_prints_no_control_character_of_a_submission() -> None:
    table = _hostile_report().table()
    assert not any(c in table for c in ("\x1b", "\u202e")), table
    assert table.count("\n") == _hostile_report().table().count("\n")
    assert "\\x1b" in table and "Total: 5 / 5" not in table.splitlines()


def test_gradebook_cells_are_never_formulas_and_feedback_holds_no_markup(tmp_path: Path) -> None:
    import csv

    reports = [_hostile_report(), _hostile_report()]
    grading.write_outputs(reports, tmp_path)
    with (tmp_path / "gradebook.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row
        assert row[0].startswith("'=HYPERLINK")
    files = sorted((tmp_path / "feedback").iterdir())
    assert len(files) == 2 and all(len(f.name) <= 140 for f in files)  # 300-character id
    text = files[0].read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)<img|(?<!\\)\]\(javascript", text) and "\x1b" not in text
    assert "\\<img" in text


def test_a_glob_through_a_linked_folder_grades_nothing(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    (uploads / "mallory").mkdir(parents=True)
    (uploads / "mallory" / "work").symlink_to(ROOT / "book", target_is_directory=True)
    reports, _ = grading.grade_batch([str(uploads / "*" / "*" / "01_*.ipynb")])
    assert reports and all(r.status == "invalid" for r in reports), [r.table() for r in reports]
    assert "symbolic link" in reports[0].reason


def test_a_file_in_a_students_folder_is_that_students_whatever_its_name(tmp_path: Path) -> None:
    inside = tmp_path / "mallory" / "alice_01_entropy.ipynb"
    assert grading.student_id(inside, root=tmp_path) == "mallory"
    assert grading.student_id(tmp_path / "alice_01_entropy.ipynb", root=tmp_path) == "alice"
    roots = grading._roots([str(tmp_path / "*" / "*.ipynb")])
    assert roots == {} or all(r == tmp_path for r in roots.values())
    assert grading._glob_root(str(tmp_path / "*" / "*.ipynb")) == tmp_path


def test_large_notebooks_and_result_lines_are_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big_01_entropy.ipynb"
    big.write_text('{"cells": [], "pad": "' + "x" * grading.NOTEBOOK_LIMIT + '"}')
    with pytest.raises(grading.Invalid, match="larger than 16 MB"):
        grading.read_notebook(big)
    old = tmp_path / "old_01_entropy.ipynb"
    old.write_text(
        '{"nbformat": 3, "worksheets": [], "pad": "' + "x" * grading.NBFORMAT3_LIMIT + '"}'
    )
    with pytest.raises(grading.Invalid, match="nbformat 3"):
        grading.read_notebook(old)
    results = tmp_path / "results.jsonl"
    key = "0123abcd"
    results.write_text(
        '{"key": "' + key + '", "value": "' + "x" * grading.RESULT_LINE_LIMIT + '"}\n'
    )
    found, _, foreign = grading._read_results(results, {key})
    assert found[key] == {"key": key, "unreadable": "a result larger than 4 MB"} and foreign == 0


def test_a_missing_function_is_named_by_the_grader_not_by_the_record() -> None:
    item = grading._issue([registry.get("1.5")], seed=1)[0]
    outcome = grading._judge(item, {"key": item.key, "missing": "x" * 10**6})
    assert len(outcome.message) < 300 and "'entropy'" in outcome.message
