"""A scripted, stateful fake ``Connection`` for runner tests.

Commands are answered, in order, by:

1. scripted rules (``fake.script(pattern, result)``): substring or regex on the whole command,
   answered with a fixed ``Result`` or a callable ``(cmd, fake) -> Result``;
2. a tiny shell: the command is split on ``;``, ``&&`` and ``||`` (with short-circuit), and
   each simple command is dispatched by its first word to a handler registered with
   ``fake.on(name, handler)`` or to the built-in filesystem commands (stat, sha256sum,
   readlink, cat, mkdir, rm, ln, chmod, chown, test, cp, mv, true, false).

An unscripted command raises ``AssertionError``, so a test notices every command it did not
expect. ``ran`` lists every command and ``puts`` every transfer, in order.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kubexm.connector.base import Result
from kubexm.errors import CommandError, TransferError
from kubexm.runner.host import Host, OpResult

Handler = Callable[[list[str], "FakeConnection"], Result]
Responder = Result | Callable[[str, "FakeConnection"], Result]

OK = Result(0, "", "")
FAIL = Result(1, "", "")

_SEED_DIRS = (
    "/", "/etc", "/etc/systemd", "/etc/systemd/system", "/etc/sysctl.d", "/etc/modules-load.d",
    "/etc/default", "/tmp", "/run", "/usr", "/usr/local", "/usr/local/bin", "/usr/share",
    "/var", "/var/lib", "/opt", "/root", "/home",
)  # fmt: skip


@dataclass
class FakeFile:
    data: bytes
    mode: int = 0o644
    owner: str = "root"
    group: str = "root"


@dataclass
class Put:
    remote: str
    data: bytes
    mode: int
    owner: str | None
    sudo: bool


@dataclass
class Rule:
    pattern: str
    responder: Responder
    regex: bool = False
    times: int | None = None  # None = unlimited

    def matches(self, cmd: str) -> bool:
        if self.times == 0:
            return False
        return bool(re.search(self.pattern, cmd)) if self.regex else self.pattern in cmd


@dataclass
class FakeConnection:
    host: str = "node1"
    files: dict[str, FakeFile] = field(default_factory=dict)
    dirs: dict[str, tuple[int, str, str]] = field(
        default_factory=lambda: {d: (0o755, "root", "root") for d in _SEED_DIRS}
    )
    links: dict[str, str] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    handlers: dict[str, Handler] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    sudo_flags: list[bool] = field(default_factory=list)
    stdins: list[str | bytes | None] = field(default_factory=list)
    puts: list[Put] = field(default_factory=list)
    closed: bool = False

    # -- scripting ---------------------------------------------------------------------------
    def script(
        self, pattern: str, responder: Responder, *, regex: bool = False, times: int | None = None
    ) -> None:
        self.rules.append(Rule(pattern, responder, regex, times))

    def on(self, name: str, handler: Handler) -> None:
        self.handlers[name] = handler

    def write(self, path: str, text: str | bytes, mode: int = 0o644, owner: str = "root") -> None:
        data = text.encode() if isinstance(text, str) else text
        self.files[path] = FakeFile(data, mode, owner, owner)

    def text(self, path: str) -> str:
        return self.files[path].data.decode()

    def snapshot(self) -> tuple[object, ...]:
        """Comparable copy of the filesystem state (to prove a dry-run changed nothing)."""
        files = {p: (f.data, f.mode, f.owner, f.group) for p, f in self.files.items()}
        return (files, dict(self.dirs), dict(self.links))

    # -- Connection protocol -----------------------------------------------------------------
    async def run(
        self,
        cmd: str,
        *,
        sudo: bool = False,
        check: bool = True,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        stdin: str | bytes | None = None,
    ) -> Result:
        self.ran.append(cmd)
        self.sudo_flags.append(sudo)
        self.stdins.append(stdin)
        result = self._answer(cmd)
        if check and result.exit_status != 0:
            raise CommandError(self.host, cmd, result.exit_status, result.stdout, result.stderr)
        return result

    async def put(
        self,
        src: Path | bytes,
        remote: str,
        *,
        mode: int = 0o644,
        owner: str | None = None,
        sudo: bool = False,
    ) -> bool:
        data = src.read_bytes() if isinstance(src, Path) else src
        if posixpath.dirname(remote) not in self.dirs:
            raise TransferError(f"[{self.host}] no such directory: {posixpath.dirname(remote)}")
        self.puts.append(Put(remote, data, mode, owner, sudo))
        user, _, group = (owner or "root").partition(":")
        new = FakeFile(data, mode, user, group or user)
        changed = self.files.get(remote) != new
        self.files[remote] = new
        self.links.pop(remote, None)
        return changed

    async def get(self, remote: str, local: Path, *, sudo: bool = False) -> None:
        if remote not in self.files:
            raise TransferError(f"[{self.host}] no such file: {remote}")
        local.write_bytes(self.files[remote].data)

    async def close(self) -> None:
        self.closed = True

    # -- the tiny shell ----------------------------------------------------------------------
    def _answer(self, cmd: str) -> Result:
        for rule in self.rules:
            if rule.matches(cmd):
                if rule.times is not None:
                    rule.times -= 1
                r = rule.responder
                return r(cmd, self) if callable(r) else r
        return self._shell(cmd)

    def _shell(self, cmd: str) -> Result:
        lexer = shlex.shlex(cmd, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        tokens = list(lexer)
        out: list[str] = []
        err: list[str] = []
        status = 0
        argv: list[str] = []
        skip = False
        for token in [*tokens, ";"]:
            if token not in (";", "&&", "||", "\n"):
                argv.append(token)
                continue
            if argv and not skip:
                r = self.call(argv)
                out.append(r.stdout)
                err.append(r.stderr)
                status = r.exit_status
            argv = []
            skip = (token == "&&" and status != 0) or (token == "||" and status == 0)
        return Result(status, "".join(out), "".join(err))

    def call(self, argv: list[str]) -> Result:
        name = argv[0]
        if name in self.handlers:
            return self.handlers[name](argv, self)
        builtin = getattr(self, f"_cmd_{name.replace('-', '_')}", None)
        if builtin is None:
            raise AssertionError(f"unscripted command on fake host: {shlex.join(argv)}")
        result: Result = builtin(_operands(argv[1:]), argv)
        return result

    # -- filesystem helpers ------------------------------------------------------------------
    def resolve(self, path: str) -> str:
        seen = 0
        while path in self.links and seen < 10:
            target = self.links[path]
            path = (
                target
                if target.startswith("/")
                else posixpath.join(posixpath.dirname(path), target)
            )
            seen += 1
        return path

    def exists(self, path: str) -> bool:
        return path in self.files or path in self.dirs or path in self.links

    def _remove(self, path: str) -> None:
        prefix = path.rstrip("/") + "/"
        for table in (self.files, self.dirs, self.links):
            for key in [k for k in table if k == path or k.startswith(prefix)]:
                del table[key]

    # -- built-in commands (operands without options) ----------------------------------------
    def _cmd_true(self, ops: list[str], argv: list[str]) -> Result:
        return OK

    def _cmd_false(self, ops: list[str], argv: list[str]) -> Result:
        return FAIL

    def _cmd_stat(self, ops: list[str], argv: list[str]) -> Result:
        path = ops[-1]
        if path in self.links:
            return Result(0, "777 root root symbolic link\n", "")
        if path in self.dirs:
            mode, user, group = self.dirs[path]
            return Result(0, f"{mode:o} {user} {group} directory\n", "")
        if path in self.files:
            f = self.files[path]
            kind = "regular file" if f.data else "regular empty file"
            return Result(0, f"{f.mode:o} {f.owner} {f.group} {kind}\n", "")
        return Result(1, "", f"stat: cannot statx '{path}': No such file or directory\n")

    def _cmd_sha256sum(self, ops: list[str], argv: list[str]) -> Result:
        path = self.resolve(ops[-1])
        if path not in self.files:
            return Result(1, "", f"sha256sum: {ops[-1]}: No such file or directory\n")
        return Result(0, f"{hashlib.sha256(self.files[path].data).hexdigest()}  {ops[-1]}\n", "")

    def _cmd_readlink(self, ops: list[str], argv: list[str]) -> Result:
        if ops[-1] in self.links:
            return Result(0, self.links[ops[-1]] + "\n", "")
        return FAIL

    def _cmd_cat(self, ops: list[str], argv: list[str]) -> Result:
        path = self.resolve(ops[-1])
        if path not in self.files:
            return Result(1, "", f"cat: {ops[-1]}: No such file or directory\n")
        return Result(0, self.files[path].data.decode(), "")

    def _cmd_mkdir(self, ops: list[str], argv: list[str]) -> Result:
        for path in ops:
            while path not in self.dirs and path != "/":
                self.dirs[path] = (0o755, "root", "root")
                path = posixpath.dirname(path)
        return OK

    def _cmd_rm(self, ops: list[str], argv: list[str]) -> Result:
        for path in ops:
            self._remove(path)
        return OK

    def _cmd_ln(self, ops: list[str], argv: list[str]) -> Result:
        target, link = ops[-2], ops[-1]
        self.files.pop(link, None)
        self.links[link] = target
        return OK

    def _cmd_chmod(self, ops: list[str], argv: list[str]) -> Result:
        mode, path = int(ops[0], 8), ops[-1]
        if path in self.dirs:
            _, user, group = self.dirs[path]
            self.dirs[path] = (mode, user, group)
        elif path in self.files:
            self.files[path].mode = mode
        else:
            return Result(1, "", "chmod: no such file\n")
        return OK

    def _cmd_chown(self, ops: list[str], argv: list[str]) -> Result:
        user, _, group = ops[0].partition(":")
        path = ops[-1]
        if path in self.dirs:
            mode, _, old_group = self.dirs[path]
            self.dirs[path] = (mode, user, group or old_group)
        elif path in self.files:
            self.files[path].owner = user
            self.files[path].group = group or self.files[path].group
        else:
            return Result(1, "", "chown: no such file\n")
        return OK

    def _cmd_test(self, ops: list[str], argv: list[str]) -> Result:
        args = argv[1:]
        checks: dict[str, Callable[[str], bool]] = {
            "-e": self.exists,
            "-f": lambda p: p in self.files,
            "-d": lambda p: p in self.dirs,
            "-L": lambda p: p in self.links,
        }
        if len(args) == 5 and args[2] == "-o":
            ok = checks[args[0]](args[1]) or checks[args[3]](args[4])
        else:
            ok = checks[args[0]](args[1])
        return OK if ok else FAIL

    def _cmd_cp(self, ops: list[str], argv: list[str]) -> Result:
        src, dst = ops[-2], ops[-1]
        if src not in self.files:
            return Result(1, "", f"cp: cannot stat '{src}'\n")
        f = self.files[src]
        self.files[dst] = FakeFile(f.data, f.mode, f.owner, f.group)
        return OK

    def _cmd_mv(self, ops: list[str], argv: list[str]) -> Result:
        result = self._cmd_cp(ops, argv)
        if result.exit_status == 0:
            del self.files[ops[-2]]
        return result


def _operands(args: list[str]) -> list[str]:
    """Arguments without options (``-p``, ``--``), keeping option values we never use."""
    if "--" in args:
        i = args.index("--")
        return [a for a in args[:i] if not a.startswith("-")] + args[i + 1 :]
    return [a for a in args if not a.startswith("-")]


# -- stateful services and kernel, for "changed, then unchanged" tests -----------------------
@dataclass
class Unit:
    active: bool = False
    enabled: str = "disabled"


@dataclass
class FakeSystemd:
    """``systemctl`` on the fake host: units by name (``containerd.service``)."""

    units: dict[str, Unit] = field(default_factory=dict)
    reloads: int = 0

    def install(self, fake: FakeConnection) -> FakeSystemd:
        fake.on("systemctl", self._systemctl)
        return self

    def _systemctl(self, argv: list[str], fake: FakeConnection) -> Result:
        args = [a for a in argv[1:] if not a.startswith("--")]
        verb = args[0]
        if verb == "daemon-reload":
            self.reloads += 1
            return OK
        unit = self.units.get(args[1])
        if verb == "is-active":
            state = "active" if unit and unit.active else "inactive"
            return Result(0 if state == "active" else 3, state + "\n", "")
        if verb == "is-enabled":
            if unit is None:
                return Result(1, "", f"Failed to get unit file state for {args[1]}\n")
            return Result(0 if unit.enabled == "enabled" else 1, unit.enabled + "\n", "")
        if unit is None:
            return Result(5, "", f"Failed to {verb} {args[1]}: Unit not found.\n")
        return self._act(verb, unit)

    @staticmethod
    def _act(verb: str, unit: Unit) -> Result:
        if verb in ("start", "restart", "reload-or-restart"):
            unit.active = True
        elif verb == "stop":
            unit.active = False
        elif verb in ("enable", "disable"):
            unit.enabled = f"{verb}d"
        else:
            raise AssertionError(f"unexpected systemctl {verb}")
        return OK


@dataclass
class FakeKernel:
    """/proc/sys and kernel modules of the fake host."""

    sysctl: dict[str, str] = field(default_factory=dict)
    read_only: set[str] = field(default_factory=set)
    loaded: set[str] = field(default_factory=set)
    builtin: set[str] = field(default_factory=set)
    available: set[str] = field(default_factory=set)

    def install(self, fake: FakeConnection) -> FakeKernel:
        fake.script(r"^for k in ", self._sysctl_probe, regex=True)
        fake.script(r"modules\.builtin", self._modules_probe, regex=True)
        fake.on("sysctl", self._sysctl_w)
        fake.on("modprobe", self._modprobe)
        return self

    @staticmethod
    def _words(cmd: str, marker: str) -> list[str]:
        return shlex.split(cmd.split(marker, 1)[1].split("; do", 1)[0])

    def _sysctl_probe(self, cmd: str, fake: FakeConnection) -> Result:
        lines = []
        for key in self._words(cmd, "for k in "):
            if key not in self.sysctl:
                lines.append(f"{key} missing")
            else:
                state = "ro" if key in self.read_only else "rw"
                lines.append(f"{key} {state} {self.sysctl[key]}")
        return Result(0, "".join(f"{line}\n" for line in lines), "")

    def _modules_probe(self, cmd: str, fake: FakeConnection) -> Result:
        out = []
        for module in self._words(cmd, "for m in "):
            state = "absent"
            if module in self.loaded:
                state = "loaded"
            elif module in self.builtin:
                state = "builtin"
            out.append(f"{module} {state}\n")
        return Result(0, "".join(out), "")

    def _sysctl_w(self, argv: list[str], fake: FakeConnection) -> Result:
        assert argv[1] == "-w", argv
        for pair in argv[2:]:
            key, _, value = pair.partition("=")
            if key in self.read_only or key not in self.sysctl:
                return Result(255, "", f"sysctl: permission denied on key '{key}'\n")
            self.sysctl[key] = value
        return OK

    def _modprobe(self, argv: list[str], fake: FakeConnection) -> Result:
        module = argv[-1]
        if module not in self.available:
            return Result(1, "", f"modprobe: FATAL: Module {module} not found\n")
        self.loaded.add(module)
        return OK


async def assert_idempotent(
    fake: FakeConnection,
    op: Callable[[Host], Awaitable[OpResult]],
    *,
    state: Callable[[], object] = lambda: None,
) -> list[str]:
    """Run ``op`` in dry-run, then for real twice, and check the runner contract:

    dry-run reports a change, records ``would ...`` and leaves the host as it was; the first
    real run changes; the second reports unchanged and transfers nothing. Returns the
    dry-run record lines.
    """
    before = (fake.snapshot(), repr(state()))
    dry = Host(fake, dry_run=True)
    planned = await op(dry)
    assert planned.changed, planned
    assert (fake.snapshot(), repr(state())) == before, "dry-run changed the host"
    assert fake.puts == [], "dry-run transferred a file"
    lines = dry.recorder.lines()
    assert lines and all(" would " in line for line in lines), lines

    real = Host(fake)
    first = await op(real)
    assert first.changed, first
    puts = len(fake.puts)
    second = await op(real)
    assert not second.changed, second
    assert len(fake.puts) == puts, "unchanged run transferred a file"
    assert len(real.recorder.records) == len(lines), real.recorder.lines()
    return lines
