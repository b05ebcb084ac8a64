"""The sandbox a submission runs in: bubblewrap where the machine has it, rlimits always.

With bubblewrap (``bwrap``, Debian's ``bubblewrap`` package) a submission gets:

- its own PID namespace: when the sandbox ends, every process it started ends with it (the
  kernel kills the namespace), so no child, daemon or fork bomb survives the grade;
- no network (a network namespace with only loopback, which the kernel needs);
- a root file system holding only the system's libraries, Python read-only, and one writable
  temporary folder of its own; the instructor's files (the course with its solutions, the
  grader's own folders) are not there at all;
- the ``xent`` package replaced by a read-only copy in which the functions an exercise forbids
  are cut out of the source and replaced by stand-ins that raise, and the listed functions of
  SciPy, scikit-learn and SymPy raise from the first line of the interpreter on;
- of the installed Python libraries, only those the course needs (:data:`RUNTIME` and what it
  requires): any other fails to import;
- a user id of its own, drawn at random for each submission;
- limits on CPU time, address space, processes, file size and open files (``setrlimit``), and a
  wall-clock limit and a limit on the memory of all its processes together, enforced from
  outside.

Without bubblewrap, the same command runs in its own session and process group with the same
rlimits, killed as a group at the end; :attr:`Sandbox.warnings` says what is then not isolated
(network, the file system, processes that leave the group). The grader prints those warnings.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import xent

#: Where the submission's folder appears inside the sandbox.
INSIDE = "/sandbox"
#: Where the restricted copy of xent appears inside the sandbox (first on sys.path).
SHADOW_INSIDE = "/sandbox-lib"

_BLOCKER = '''"""Written by the grader's sandbox: the functions this chapter's exercises forbid."""


class ForbiddenFunctionError(RuntimeError):
    """A function the exercise asks you to write yourself was called."""


def block(namespace, names, library=None, compiled=None):
    """Replace ``names`` in a module's namespace by stand-ins that raise.

    A stand-in keeps no reference to the function it replaces. Only for a library's compiled
    functions (``compiled``: the module that holds them, e.g. SciPy's ``_ufuncs``) do calls
    from the library's own modules go through, so the library keeps working.
    """
    import importlib
    import sys

    for name, message in names.items():
        if name not in namespace:
            continue

        def forbidden(*args, _message=message, _name=name, **kwargs):
            if compiled is not None:
                caller = sys._getframe(1).f_globals.get("__name__", "")
                if caller == library or caller.startswith(library + "."):
                    real = getattr(importlib.import_module(compiled), _name)
                    return real(*args, **kwargs)
            raise ForbiddenFunctionError(_message)

        forbidden.__name__ = forbidden.__qualname__ = name
        forbidden.__doc__ = message
        namespace[name] = forbidden
'''


_MYST_NB = '''"""Written by the grader's sandbox: myst-nb's glue, doing nothing."""


def glue(name, variable, display=True):
    return None
'''


_SITECUSTOMIZE = '''"""Written by the grader's sandbox: xent from the restricted copy beside it.

An editable install of xent finds the package through a finder of its own, ahead of
PYTHONPATH; inside bubblewrap its folder does not exist, and without bubblewrap this drops it.
"""
import sys

sys.meta_path[:] = [
    f for f in sys.meta_path
    if "__editable__" not in str(getattr(f, "__module__", "")) + type(f).__module__
]
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
    memory_exceeded: bool = False
    """Its processes together held more than the memory limit (bubblewrap only)."""


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


def _package_dir() -> Path:
    return Path(xent.__file__).resolve().parent


def _files_digest(files: list[Path], base: Path) -> str:
    """A hash of ``files``: each one's path relative to ``base`` and its contents (a link's
    target, for a link)."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.relative_to(base)).encode())
        if path.is_symlink():
            digest.update(b"->" + os.readlink(path).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def tree_digest(root: Path) -> str:
    """A hash of every file under ``root`` (names and contents; links by their targets)."""
    return _files_digest(list(root.rglob("*")), root)


def package_digest() -> str:
    """A hash of every file of the installed xent package, and of the course's chapters when
    the package lives in a checkout of the course (to detect tampering)."""
    root = _package_dir()
    files = [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    files += list((root.parent / "book").glob("*.ipynb"))
    return _files_digest(files, root.parent)


def _module_file(module: object) -> Path | None:
    origin = getattr(module, "__file__", None)
    return Path(origin).resolve() if origin and origin.endswith(".py") else None


def _holders(targets: Sequence[tuple[object, str]]) -> list[list[tuple[str, str]]]:
    """For each (target, library): (module, attribute) of every loaded module of ``library``
    that holds ``target``. Each library's modules are read once for all the targets (reading
    them once per target took a chapter 0.2 s)."""
    import sys

    index: dict[str, dict[int, list[tuple[str, str]]]] = {}
    for library in {library for _, library in targets}:
        held: dict[int, list[tuple[str, str]]] = index.setdefault(library, {})
        for module_name, module in list(sys.modules.items()):
            if module is None or module_name.split(".")[0] != library:
                continue
            for attribute, value in list(vars(module).items()):
                if not attribute.startswith("__"):
                    held.setdefault(id(value), []).append((module_name, attribute))
    return [index[library].get(id(target), []) for target, library in targets]


#: CPython 3.11's parser keeps its recursion bookkeeping per interpreter, not per thread:
#: two threads parsing at once can fail with "AST constructor recursion depth mismatch".
#: The grader grades in threads (--jobs), so every parse of it goes through this lock.
_PARSE_LOCK = threading.Lock()


def parse_source(text: str) -> Any:
    """``ast.parse(text)``, one thread at a time."""
    import ast

    with _PARSE_LOCK:
        return ast.parse(text)


class _Statement(NamedTuple):
    names: tuple[str, ...]  # the names it defines
    whole: bool  # whether those are all it assigns
    first: int  # its first line, decorators included
    last: int
    mentions: frozenset[str]  # the private names (``_x``, not ``__x``) it uses besides its own


@functools.lru_cache(maxsize=256)
def _statements(text: str) -> tuple[_Statement, ...]:
    """The top-level statements of a module's source, parsed once per text."""
    import ast

    found = []
    for node in parse_source(text).body:
        names, whole = _defined_names(node)
        mentions = set()
        for inner in ast.walk(node):
            mention = (
                inner.id
                if isinstance(inner, ast.Name)
                else (inner.attr if isinstance(inner, ast.Attribute) else None)
            )
            if mention and mention.startswith("_") and not mention.startswith("__"):
                mentions.add(mention)
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        last = node.end_lineno or node.lineno
        found.append(_Statement(tuple(names), whole, first, last, frozenset(mentions - set(names))))
    return tuple(found)


def _private_closure(package: Path, blocked: dict[Path, set[str]]) -> None:
    """Add to ``blocked`` the private helpers of xent that only blocked code uses.

    A private function (``_name``) is blocked when every top-level definition that mentions it,
    in any module of the package, is blocked itself, so ``xent.special._x_times_log`` goes with
    ``entr`` and ``xlogy`` but stays for an allowed function that needs it.
    """
    defined: dict[str, set[Path]] = {}
    users: dict[str, set[tuple[Path, str]]] = {}
    for path in package.rglob("*.py"):
        if "coursework" in path.parts:
            continue
        try:
            statements = _statements(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for statement in statements:
            names = statement.names
            owner = names[0] if names else f"<module {path.name}>"
            for name in names:
                defined.setdefault(name, set()).add(path.resolve())
            for mention in statement.mentions:
                users.setdefault(mention, set()).add((path.resolve(), owner))
    changed = True
    while changed:
        changed = False
        for name, where in users.items():
            if name not in defined or any(name in blocked.get(p, set()) for p in defined[name]):
                continue
            if all(owner in blocked.get(p, set()) for p, owner in where):
                for path in defined[name]:
                    blocked.setdefault(path, set()).add(name)
                changed = True


def shadow(
    directory: Path, forbidden: dict[str, str], template: Path | None = None
) -> dict[Path, Path]:
    """Write the restricted copy of xent, and of the library files that define a forbidden
    function, under ``directory``.

    In the copy, every module that holds a forbidden function (defined there, or imported into
    it) replaces it at the end of its import by a stand-in that raises, and so do the private
    helpers that only forbidden code uses. No stand-in keeps the original: within the sandbox,
    the forbidden xent functions do not exist.

    Args:
        directory: an empty folder of the grader's.
        forbidden: dotted name -> the message its stand-in raises.
        template: a copy of the package made by :func:`compiled_copy`, copied with its
            bytecode instead of the package itself; the bytecode of every file changed here
            is removed, so only those are compiled again.

    Returns:
        Real file -> its restricted copy, for every library file outside xent that changes
        (bind-mounted over the real one inside the sandbox).
    """
    import importlib as _importlib

    package = _package_dir()
    copy = directory / "xent"
    if template is None:
        shutil.copytree(package, copy, ignore=_NOT_COPIED)
    else:
        shutil.copytree(template, copy)
    (copy / "_forbidden.py").write_text(_BLOCKER, encoding="utf-8")
    # Notebooks made from earlier editions of the chapters glue numbers with myst-nb's glue,
    # whose import pulls in Sphinx (seconds per submission; the chapters now use
    # xent.plotting.glue, which never imports it). Grading needs none of it: a stand-in.
    (directory / "myst_nb").mkdir()
    (directory / "myst_nb" / "__init__.py").write_text(_MYST_NB, encoding="utf-8")
    (directory / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    # jsonschema (under nbformat) imports rfc3987_syntax when it is there, which compiles a
    # grammar for a second; it only checks IRI formats, which nothing here validates.
    (directory / "rfc3987_syntax.py").write_text(
        'raise ImportError("not needed in the grader\'s sandbox")\n', encoding="utf-8"
    )
    blocked: dict[Path, set[str]] = {}
    messages: dict[tuple[Path, str], str] = {}
    compiled: dict[Path, str] = {}
    # Every forbidden function first, then who holds each: importing a later one can load
    # modules that hold an earlier one.
    found: list[tuple[str, str, str, str, object]] = []
    hidden = {entry.name for entry in outside_runtime()}
    for name, message in forbidden.items():
        library = name.split(".")[0]
        if library in hidden:
            continue  # the whole library is hidden in the sandbox
        module_name, _, attribute = name.rpartition(".")
        try:
            target = getattr(_importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError):
            continue
        found.append((message, library, module_name, attribute, target))
    everyone = _holders([(target, library) for _, library, _, _, target in found])
    for (message, library, module_name, attribute, _), holders in zip(found, everyone, strict=True):
        for holder, held_as in holders:
            path = _module_file(__import__("sys").modules[holder])
            if path is None:
                if library != "xent":
                    # A compiled module (SciPy's _ufuncs) holds it: block the public names,
                    # and let SciPy's own modules reach the compiled original.
                    public = _module_file(_importlib.import_module(module_name))
                    if public is not None:
                        blocked.setdefault(public, set()).add(attribute)
                        messages[(public, attribute)] = message
                        compiled[public] = holder
                continue
            blocked.setdefault(path, set()).add(held_as)
            messages[(path, held_as)] = message
    before = {p: set(n) for p, n in blocked.items()}
    _private_closure(package, blocked)
    for path, names in blocked.items():
        for added in names - before.get(path, set()):
            messages[(path, added)] = "a helper of functions this exercise forbids"
    others: dict[Path, Path] = {}
    for number, (path, names) in enumerate(sorted(blocked.items())):
        table = {n: messages[(path, n)] for n in sorted(names)}
        if package in path.parents or path.parent == package:
            target_file = copy / path.relative_to(package)
            if not target_file.exists():  # the exercises, which are not in the copy
                continue
            call = f"__xent_block(globals(), {table!r})"
        else:
            target_file = directory / "library" / f"{number}_{path.name}"
            target_file.parent.mkdir(exist_ok=True)
            shutil.copy(path, target_file)
            call = (
                f"__xent_block(globals(), {table!r}, {_library_of(path)!r}, {compiled.get(path)!r})"
            )
            others[path] = target_file
        text = target_file.read_text(encoding="utf-8")
        if call.startswith("__xent_block(globals(), {"):
            # xent's own files: the forbidden definitions are cut out of the copy's source, so
            # no file in the sandbox holds them (a stand-in appended after the original would
            # leave the original for anyone to copy the file and drop the stand-in).
            text = _without_definitions(text, table)
        Path(importlib.util.cache_from_source(str(target_file))).unlink(missing_ok=True)
        target_file.write_text(
            text
            + "\n\n# Added by the grader's sandbox.\n"
            + "from xent._forbidden import block as __xent_block\n"
            + call
            + "\n"
            + "del __xent_block\n",
            encoding="utf-8",
        )
    _hide(directory, others)
    return others


#: What a copy of the package leaves out: bytecode, and the exercises (their solutions).
_NOT_COPIED = shutil.ignore_patterns("__pycache__", "exercises", "*.pyc")


def compiled_copy(directory: Path) -> Path:
    """A copy of the package at ``directory / "xent"`` (without its exercises), with bytecode:
    the template each chapter's restricted copy starts from, so that a chapter compiles only
    the files it changes (the copies keep the files' times, which the bytecode records)."""
    import compileall

    copy = directory / "xent"
    shutil.copytree(_package_dir(), copy, ignore=_NOT_COPIED)
    compileall.compile_dir(str(copy), quiet=2)
    return copy


def _defined_names(node: Any) -> tuple[list[str], bool]:
    """The names a top-level statement defines (a ``def``, a ``class``, an assignment to plain
    names), and whether those are all it assigns (not ``a.b = x = ...``, not ``a, b = ...``)."""
    import ast

    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name], True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        return names, len(names) == len(targets)
    return [], False


def _without_definitions(text: str, table: dict[str, str]) -> str:
    """``text`` with every top-level definition of a name in ``table`` replaced by a stand-in.

    A ``def``, a ``class`` (with its decorators) or an assignment whose targets are all in
    ``table`` becomes a function that raises ``ForbiddenFunctionError`` with the table's
    message; the lines of the original are gone. Imports of those names are left alone (they
    import the stand-in), and so are the names the file only imports.
    """
    lines = text.splitlines(keepends=True)
    cuts: list[tuple[int, int, str]] = []
    for statement in _statements(text):
        names, first, last = statement.names, statement.first, statement.last
        if not (names and statement.whole and all(name in table for name in names)):
            continue
        stand_ins = "".join(
            f"def {name}(*args, **kwargs):\n"
            f"    {table[name]!r}\n"
            f"    from xent._forbidden import ForbiddenFunctionError\n"
            f"    raise ForbiddenFunctionError({table[name]!r})\n"
            for name in names
        )
        cuts.append((first, last, stand_ins))
    for first, last, stand_ins in sorted(cuts, reverse=True):
        lines[first - 1 : last] = [stand_ins]
    return "".join(lines)


#: The distributions the sandbox's Python may import, with everything they require: the package
#: itself, the kernel and the runner, and what the chapters import (binder/requirements.txt).
RUNTIME = (
    "xent-course",
    "ipykernel",
    "nbclient",
    "nbformat",
    "numpy",
    "scipy",
    "sympy",
    "mpmath",
    "matplotlib",
    "constriction",
)
# scikit-learn is not in it: no exercise needs it (chapter 10 loads a dataset with it when it
# is there, and does without), and its estimators compute what exercises forbid under other
# names (a decision tree's entropy impurity scored chapter 1 in full).

#: Requirements of the kernel that grading never uses, hidden all the same: its debugger
#: (debugpy) and its tab completion (jedi, and parso under it). The kernel does without them
#: (ipykernel and IPython catch the ImportError) and starts in 0.49 s of processor time
#: instead of 0.61 (six starts of each, alternated).
NOT_FOR_GRADING = ("debugpy", "jedi", "parso")

_HIDDEN = (
    'raise ModuleNotFoundError("not available while grading: the sandbox holds only the libraries '
    'the course uses")\n'
)


def _site_directories() -> list[Path]:
    """The site directories of this Python (the ones on its path)."""
    import site

    found = [sysconfig.get_paths()[key] for key in ("purelib", "platlib")]
    found += site.getsitepackages()
    return [p for p in dict.fromkeys(Path(f).resolve() for f in found) if p.is_dir()]


@functools.lru_cache(maxsize=1)
def outside_runtime() -> tuple[Path, ...]:
    """What the sandbox hides: every entry of the site directories that belongs to no
    distribution of :data:`RUNTIME`'s requirement closure, and the other Python package folders
    of the system (Debian's ``dist-packages``), whole.

    An installed PyTorch, TensorFlow or pandas would otherwise hand a student the function an
    exercise forbids under another name; the course needs none of them. Empty when the
    ``packaging`` library is missing (nothing is hidden then).
    """
    import re
    from importlib import metadata

    try:
        from packaging.requirements import InvalidRequirement, Requirement
        from packaging.utils import canonicalize_name
    except ImportError:
        return ()
    distributions: dict[str, Any] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            distributions.setdefault(canonicalize_name(name), dist)
    keep: set[str] = set()
    todo = [canonicalize_name(n) for n in RUNTIME]
    unused = {canonicalize_name(n) for n in NOT_FOR_GRADING}
    while todo:
        name = todo.pop()
        if name in keep or name in unused or name not in distributions:
            continue
        keep.add(name)
        for text in distributions[name].requires or []:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(requirement.name))
    # The entries of the kept distributions (only their file lists are read: reading all of
    # them took a second); installs without a file list (some conda or distutils ones) are
    # kept by their import names.
    kept: set[tuple[Path, str]] = set()
    unlisted: set[str] = set()
    for name in keep:
        dist = distributions[name]
        files = dist.files
        if files is None:
            unlisted |= set((dist.read_text("top_level.txt") or "").split())
            unlisted.add(name.replace("-", "_"))
            continue
        base = Path(str(dist.locate_file(""))).resolve()
        kept |= {(base, file.parts[0]) for file in files if file.parts and file.parts[0] != ".."}
    sites = _site_directories()
    # Modules the .pth files import at start-up stay, or every interpreter would complain.
    started: set[str] = set()
    for site_dir in sites:
        for pth in site_dir.glob("*.pth"):
            text = pth.read_text(encoding="utf-8", errors="replace")
            started |= set(re.findall(r"\bimport\s+([A-Za-z_]\w*)", text))
            started |= set(re.findall(r"__import__\(['\"]([A-Za-z_]\w*)", text))
    hidden: list[Path] = []
    for site_dir in sites:
        for entry in sorted(site_dir.iterdir()):
            name = entry.name
            if name == "__pycache__" or name.endswith((".dist-info", ".egg-info", ".pth")):
                continue
            module = name.split(".")[0]
            if (site_dir, name) in kept or module in started | unlisted:
                continue
            hidden.append(entry)
    for pattern in ("/usr/lib/python3*/dist-packages", "/usr/local/lib/python3*/dist-packages",
                    "/usr/lib/python3*/site-packages", "/usr/local/lib/python3*/site-packages"):
        for folder in sorted(Path("/").glob(pattern.lstrip("/"))):
            if folder.resolve() not in sites and not any(
                site_dir.is_relative_to(folder.resolve()) for site_dir in sites
            ):
                hidden.append(folder.resolve())
    return tuple(hidden)


def _hide(directory: Path, others: dict[Path, Path]) -> None:
    """Cover every entry of :func:`outside_runtime` with a stand-in whose import fails."""
    stand_ins = directory / "hidden"
    package = stand_ins / "package"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(_HIDDEN, encoding="utf-8")
    (stand_ins / "module.py").write_text(_HIDDEN, encoding="utf-8")
    empty = stand_ins / "empty"
    empty.mkdir(exist_ok=True)
    for entry in outside_runtime():
        if entry.name.endswith(("dist-packages", "site-packages")) and entry.is_dir():
            others[entry] = empty
        elif entry.is_dir():
            others[entry] = package
        elif entry.is_file():
            others[entry] = stand_ins / "module.py"


def _library_of(path: Path) -> str:
    """The top-level package a library file belongs to (``.../site-packages/scipy/x.py``)."""
    parts = path.parts
    for index in range(len(parts) - 1, 0, -1):
        if not (Path(*parts[:index]) / "__init__.py").exists():
            return parts[index]
    return parts[-1]


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
        "XENT_SANDBOX_PIDNS": "1",
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
    # Output goes to files, not pipes: a submission that floods it fills a file limited by
    # RLIMIT_FSIZE, never the grader's memory.
    with (workdir / "stdout.txt").open("wb") as out, (workdir / "stderr.txt").open("wb") as err:
        process = subprocess.Popen(
            argv,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=prepare,
        )
        timed_out = memory_exceeded = False
        try:
            if sandbox.kind == "bubblewrap":
                # The address-space limit is per process: 6 processes of 1.7 GB each held
                # 5.3 GB under a 2 GB limit. The sandbox's user is its own, so its processes'
                # resident memory is summed twice a second, and over the limit all of them end.
                deadline = start + limits.wall_seconds
                while process.poll() is None:
                    if time.monotonic() > deadline:
                        timed_out = True
                        break
                    if _resident_bytes(uid) > limits.memory_bytes:
                        memory_exceeded = True
                        break
                    try:
                        process.wait(timeout=0.5)
                    except subprocess.TimeoutExpired:
                        pass
            else:
                process.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(process.pid)
            process.wait()
    return Completed(
        process.returncode,
        _ends(workdir / "stdout.txt"),
        _ends(workdir / "stderr.txt"),
        time.monotonic() - start,
        timed_out,
        memory_exceeded,
    )


def _resident_bytes(uid: int) -> int:
    """The memory of every process of the user ``uid``, in bytes: the sum of their proportional
    set sizes, so that pages a forked child shares with its parent count once."""
    total = 0
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat().st_uid != uid:
                    continue
                with open(f"/proc/{entry.name}/smaps_rollup", "rb") as handle:
                    for line in handle:
                        if line.startswith(b"Pss:"):
                            total += int(line.split()[1]) * 1024
                            break
            except (OSError, ValueError, IndexError):
                continue
    return total


def _ends(path: Path, keep: int = 100_000) -> str:
    """The beginning and the end of an output file (the runner speaks first and last)."""
    with path.open("rb") as handle:
        head = handle.read(keep)
        size = path.stat().st_size
        if size > 2 * keep:
            handle.seek(size - keep)
            head += b"\n[...]\n"
        tail = handle.read(keep)
    return (head + tail).decode("utf-8", errors="replace")


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
