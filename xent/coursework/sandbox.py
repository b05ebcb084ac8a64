"""The sandbox a submission runs in: bubblewrap where the machine has it, rlimits always.

With bubblewrap (``bwrap``, Debian's ``bubblewrap`` package) a submission gets:

- its own PID namespace: when the sandbox ends, every process it started ends with it (the
  kernel kills the namespace), so no child, daemon or fork bomb survives the grade;
- no network (a network namespace with only loopback, which the kernel needs);
- a root file system holding only the system's libraries, Python read-only, and one writable
  temporary folder of its own; the instructor's files (the course with its solutions, the
  grader's own folders) are not there at all;
- the ``xent`` package replaced by a read-only copy in which the functions an exercise forbids
  raise from the first line of the interpreter on, and likewise for the listed SciPy functions;
- limits on CPU time, address space, processes, file size and open files (``setrlimit``), and a
  wall-clock limit enforced from outside.

Without bubblewrap, the same command runs in its own session and process group with the same
rlimits, killed as a group at the end; :attr:`Sandbox.warnings` says what is then not isolated
(network, the file system, processes that leave the group). The grader prints those warnings.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import xent

#: Where the submission's folder appears inside the sandbox.
INSIDE = "/sandbox"
#: Where the restricted copy of xent appears inside the sandbox (first on sys.path).
SHADOW_INSIDE = "/sandbox-lib"

_BLOCKER = '''"""Written by the grader's sandbox: the functions this chapter's exercises forbid."""


class ForbiddenFunctionError(RuntimeError):
    """A function the exercise asks you to write yourself was called."""


def block(namespace, names, library=None):
    """Replace ``names`` in a module's namespace by stand-ins that raise.

    In a library other than xent (``library="scipy"``), the library's own modules still reach
    the real function, so the library keeps working; everyone else gets the error.
    """
    import sys

    for name, message in names.items():
        if name not in namespace:
            continue

        def forbidden(*args, _message=message, _real=namespace[name], **kwargs):
            if library is not None:
                caller = sys._getframe(1).f_globals.get("__name__", "")
                if caller == library or caller.startswith(library + "."):
                    return _real(*args, **kwargs)
            raise ForbiddenFunctionError(_message)

        forbidden.__name__ = forbidden.__qualname__ = name
        forbidden.__doc__ = message
        namespace[name] = forbidden
'''


_MYST_NB = '''"""Written by the grader's sandbox: myst-nb's glue, doing nothing."""


def glue(name, variable, display=True):
    return None
'''


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission."""

    wall_seconds: float = 300.0
    cpu_seconds: int = 300
    memory_bytes: int = 4 * 2**30
    processes: int = 64
    file_bytes: int = 64 * 2**20
    open_files: int = 256
    scratch_bytes: int = 256 * 2**20
    """Size of the submission's folder and of its /tmp (each a tmpfs, in memory)."""


@dataclass
class Completed:
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool


@dataclass
class Sandbox:
    """How submissions are isolated on this machine."""

    kind: str
    """``"bubblewrap"`` or ``"process-group"``."""
    warnings: list[str] = field(default_factory=list)


def detect(*, allow_fallback: bool = True) -> Sandbox:
    """The best sandbox this machine offers (bubblewrap, if it works here)."""
    bwrap = shutil.which("bwrap")
    if bwrap:
        probe = subprocess.run(
            [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0:
            return Sandbox("bubblewrap")
        reason = f"bwrap is installed but does not work here ({probe.stderr.strip()[:200]})"
    else:
        reason = "bwrap (Debian package bubblewrap) is not installed"
    if not allow_fallback:
        raise RuntimeError(f"no sandbox: {reason}")
    return Sandbox(
        "process-group",
        [
            f"{reason}: submissions run as processes of this user with rlimits only.",
            "Not isolated: the network, the file system (a submission can read your files and "
            "write wherever you can), and processes that leave their process group.",
            "The installed package is verified by hash after every grade; use bubblewrap or a "
            "container (otter-grader with Docker) for a class you do not trust.",
        ],
    )


# --- the restricted copy of xent ---------------------------------------------------------------


def _locate(name: str) -> tuple[Path, str] | None:
    """The source file that defines (or, for C functions, exports) ``name``, and the attribute."""
    module_name, _, attribute = name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    target = getattr(module, attribute, None)
    if target is None:
        return None
    home = getattr(target, "__module__", None)
    if isinstance(home, str) and home.split(".")[0] == module_name.split(".")[0]:
        module = importlib.import_module(home)
        attribute = getattr(target, "__name__", attribute)
    spec = importlib.util.find_spec(module.__name__)
    origin = spec.origin if spec else None
    if not origin or not origin.endswith(".py"):
        return None
    return Path(origin), attribute


def _package_dir() -> Path:
    return Path(xent.__file__).resolve().parent


def package_digest() -> str:
    """A hash of every file of the installed xent package, and of the course's chapters when
    the package lives in a checkout of the course (to detect tampering)."""
    digest = hashlib.sha256()
    root = _package_dir()
    files = [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += list((root.parent / "book").glob("*.ipynb"))
    for path in sorted(files):
        digest.update(str(path.relative_to(root.parent)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def shadow(directory: Path, forbidden: dict[str, str]) -> dict[Path, Path]:
    """Write the restricted copy of xent, and of the library files that define a forbidden
    function, under ``directory``.

    Args:
        directory: an empty folder of the grader's.
        forbidden: dotted name -> the message its stand-in raises.

    Returns:
        Real file -> its restricted copy, for every library file outside xent that changes
        (bind-mounted over the real one inside the sandbox).
    """
    package = _package_dir()
    copy = directory / "xent"
    shutil.copytree(
        package,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "exercises", "*.pyc"),
    )
    (copy / "_forbidden.py").write_text(_BLOCKER, encoding="utf-8")
    # The chapters glue numbers into their prose with myst-nb, whose import pulls in Sphinx
    # (seconds per submission). Grading needs none of it: a stand-in that does nothing.
    (directory / "myst_nb").mkdir()
    (directory / "myst_nb" / "__init__.py").write_text(_MYST_NB, encoding="utf-8")
    by_file: dict[Path, dict[str, str]] = {}
    libraries: dict[Path, str] = {}
    for name, message in forbidden.items():
        located = _locate(name)
        if located is None:
            continue
        path, attribute = located
        by_file.setdefault(path.resolve(), {})[attribute] = message
        libraries[path.resolve()] = name.split(".")[0]
        # C functions (SciPy's ufuncs) are replaced where they are exported.
        public = Path(importlib.util.find_spec(name.rpartition(".")[0]).origin or "")  # type: ignore[union-attr]
        if public.suffix == ".py" and public.resolve() != path.resolve():
            by_file.setdefault(public.resolve(), {})[name.rpartition(".")[2]] = message
            libraries[public.resolve()] = name.split(".")[0]
    # Every module of the copy re-blocks on import, so a reload cannot bring a function back.
    xent_names = {
        attribute: message
        for path, names in by_file.items()
        if package in path.parents
        for attribute, message in names.items()
    }
    footer = (
        "\n\n# Added by the grader's sandbox.\n"
        "from xent._forbidden import block as __xent_block\n"
        f"__xent_block(globals(), {xent_names!r})\n"
        "del __xent_block\n"
    )
    if xent_names:
        for module in copy.rglob("*.py"):
            if module.name != "_forbidden.py":
                module.write_text(module.read_text(encoding="utf-8") + footer, encoding="utf-8")
    others: dict[Path, Path] = {}
    for number, (path, names) in enumerate(sorted(by_file.items())):
        if package in path.parents:
            continue
        library = libraries[path]
        restricted = directory / "library" / f"{number}_{path.name}"
        restricted.parent.mkdir(exist_ok=True)
        restricted.write_text(
            path.read_text(encoding="utf-8")
            + "\n\n# Added by the grader's sandbox.\n"
            + "from xent._forbidden import block as __xent_block\n"
            + f"__xent_block(globals(), {names!r}, {library!r})\n"
            + "del __xent_block\n",
            encoding="utf-8",
        )
        others[path] = restricted
    return others


# --- running a command -------------------------------------------------------------------------


def _python_roots() -> list[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        roots.add(sysconfig.get_paths()[key])
    real = {str(Path(root).resolve()) for root in roots if root}
    # Keep the outermost folders only.
    return sorted(r for r in real if not any(r != o and r.startswith(o + "/") for o in real))


def _set_limits(limits: Limits) -> None:
    """Runs in the child before exec: limits, and a session of its own."""
    os.setsid()
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _nproc_limit(limits: Limits) -> int:
    """RLIMIT_NPROC counts every process of the real user: allow what already runs, plus ours."""
    uid = os.getuid()
    running = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    running += 1
            except OSError:
                continue
    return running + limits.processes


def _directories(path: str, made: set[str]) -> list[str]:
    """bwrap arguments that create the missing ancestors of ``path``, readable by everyone."""
    argv: list[str] = []
    parents = list(reversed(Path(path).parents))[1:]
    for parent in (str(p) for p in parents):
        if parent not in made:
            made.add(parent)
            argv += ["--perms", "0755", "--dir", parent]
    return argv


def bwrap_command(
    command: Sequence[str],
    workdir: Path,
    shadow_dir: Path,
    others: dict[Path, Path],
    uid: int,
    scratch_bytes: int = 256 * 2**20,
) -> list[str]:
    """The bubblewrap command line that runs ``command`` inside the sandbox as ``uid``.

    bwrap runs with the grader's privileges only to build the sandbox; the command itself runs
    as ``uid``, an unprivileged user of its own (so the process limit counts only its
    processes, and it can write nothing it does not own), without capabilities and unable to
    gain any.
    """
    argv = [
        shutil.which("bwrap") or "bwrap",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "01777",
        "--size",
        str(scratch_bytes),
        "--tmpfs",
        "/tmp",
    ]
    made = {"/", "/tmp", "/proc", "/dev"}
    for system in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin"):
        if os.path.islink(system):
            argv += ["--symlink", os.readlink(system), system]
        elif os.path.isdir(system):
            argv += ["--ro-bind", system, system]
        made.add(system)
    for etc in (
        "/etc/ld.so.cache",
        "/etc/localtime",
        "/etc/ssl",
        "/etc/alternatives",
        "/etc/fonts",
    ):
        if os.path.exists(etc):
            argv += _directories(etc, made) + ["--ro-bind", etc, etc]
    for root in _python_roots():
        argv += _directories(root, made) + ["--ro-bind", root, root]
    # The real package, wherever it is installed, is covered by the restricted copy.
    package = _package_dir()
    argv += ["--ro-bind", str(shadow_dir), SHADOW_INSIDE]
    if any(package.is_relative_to(root) for root in _python_roots()):
        argv += ["--ro-bind", str(shadow_dir / "xent"), str(package)]
    for real, restricted in others.items():
        argv += ["--ro-bind", str(restricted), str(real)]
    # The submission's folder is a small tmpfs of its own, so nothing it writes lands on the
    # grader's disk: the job and the notebook come in read-only, and only the two files of
    # results go out (a bind mount cannot be deleted or replaced from inside).
    argv += ["--perms", "0777", "--size", str(scratch_bytes), "--tmpfs", INSIDE]
    for name in ("job.json", "submission.ipynb"):
        argv += ["--ro-bind", str(workdir / name), f"{INSIDE}/{name}"]
    for name in ("results.jsonl", "status.json"):
        argv += ["--bind", str(workdir / name), f"{INSIDE}/{name}"]
    argv += ["--ro-bind", str(workdir / "mpl"), f"{INSIDE}/.mpl-seed"]
    argv += ["--chdir", INSIDE, "--clearenv"]
    environment = {
        "HOME": f"{INSIDE}/home",
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "PYTHONPATH": SHADOW_INSIDE,
        "PYTHONDONTWRITEBYTECODE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{INSIDE}/home/mpl",
        "JUPYTER_PLATFORM_DIRS": "1",
        "XENT_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "LANG": "C.UTF-8",
    }
    for key, value in environment.items():
        argv += ["--setenv", key, value]
    for passed in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if passed in os.environ:
            argv += ["--setenv", passed, os.environ[passed]]
    drop = [
        shutil.which("setpriv") or "setpriv",
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--no-new-privs",
        "--",
    ]
    return argv + ["--", *drop, *command]


def run(
    command: Sequence[str],
    workdir: Path,
    *,
    sandbox: Sandbox,
    limits: Limits,
    shadow_dir: Path,
    others: dict[Path, Path],
    uid: int = 61000,
) -> Completed:
    """Run ``command`` (a Python command line) in the sandbox; kill everything it started.

    ``uid`` is the unprivileged user the command runs as inside bubblewrap; give each sandbox
    that runs at the same time a different one.
    """
    (workdir / "mpl").mkdir(parents=True, exist_ok=True)
    _warm_matplotlib(workdir / "mpl")
    if sandbox.kind == "bubblewrap":
        argv = bwrap_command(command, workdir, shadow_dir, others, uid, limits.scratch_bytes)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    else:
        argv = list(command)
        env = {
            "HOME": str(workdir / "home"),
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "PYTHONPATH": str(shadow_dir),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": str(workdir / "home" / "mpl"),
            "XENT_MPL_SEED": str(workdir / "mpl"),
            "XENT_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "LANG": "C.UTF-8",
            "XENT_SANDBOX_ROOT": str(workdir),
        }
    # RLIMIT_NPROC counts every process of a user: inside bubblewrap that user is the
    # sandbox's own; otherwise it is the grader's, so allow what already runs.
    nproc = limits.processes if sandbox.kind == "bubblewrap" else _nproc_limit(limits)

    def prepare() -> None:
        _set_limits(limits)
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

    start = time.monotonic()
    process = subprocess.Popen(
        argv,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=prepare,
        text=True,
        errors="replace",
    )
    timed_out = False
    try:
        stdout, stderr = process.communicate(timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process.pid)
        stdout, stderr = process.communicate()
    finally:
        _kill_group(process.pid)
    return Completed(
        process.returncode,
        stdout[-200_000:],
        stderr[-200_000:],
        time.monotonic() - start,
        timed_out,
    )


def _ends(text: str, keep: int = 100_000) -> str:
    """The beginning and the end of a long output (the runner speaks first and last)."""
    return text if len(text) <= 2 * keep else text[:keep] + "\n[...]\n" + text[-keep:]


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _warm_matplotlib(target: Path) -> None:
    """Give the sandbox matplotlib's font list, so its first import does not rebuild it."""
    try:
        import matplotlib

        for cached in Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
            shutil.copy2(cached, target / cached.name)
    except Exception:  # noqa: BLE001  (only a speed-up)
        pass
