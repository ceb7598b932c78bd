"""The one error tree of kubexm.

Every error a user can cause or meet is a ``KubexmError`` with a message and a hint that says
how to fix it. Foreign exceptions are translated once, at the boundary that met them, and
higher layers add context with ``raise ... from``. Only ``kubexm.cmd`` turns errors into output
and exit codes.

::

    KubexmError                      message + hint; exit code 1 unless said otherwise
    ├── ConfigError                  config problems, each with its field path (exit 2)
    ├── UsageError                   bad command-line usage (exit 2)
    ├── ConnectError                 a host could not be reached or logged into
    │   ├── HostKeyError             the host key changed or could not be verified
    │   └── AuthError                every offered authentication method failed
    ├── CommandError                 a remote or local command failed or timed out
    │   └── CommandTimeout           the command ran past its timeout and was killed
    ├── TransferError                put/get of a file failed
    ├── StepError                    a step's check or run failed on a host
    ├── PlanError                    the execution graph is invalid (cycle, dangling edge)
    ├── StateError                   the state store or a lock is in the way
    ├── ArtifactError                a download, checksum or bundle problem
    ├── PKIError                     a certificate or key problem
    └── LabError                     the local lab cannot be built or run
"""

from __future__ import annotations

from dataclasses import dataclass


class KubexmError(Exception):
    """Base of every error kubexm reports to a user.

    ``hint`` is one sentence saying how to fix the problem; it may be empty when the message
    already says it.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} (hint: {self.hint})"
        return self.message


@dataclass(frozen=True)
class FieldProblem:
    """One config problem: where it is, what is wrong, how to fix it."""

    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path else self.message
        return f"{text} (hint: {self.hint})" if self.hint else text


class ConfigError(KubexmError):
    """The config has one or more problems; all of them are in ``problems``."""

    exit_code = 2

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"invalid config: {count} {noun}\n{lines}")

    def __str__(self) -> str:
        return self.message


class UsageError(KubexmError):
    """The command line is wrong."""

    exit_code = 2


class ConnectError(KubexmError):
    """A host could not be reached or logged into."""

    def __init__(self, host: str, message: str, hint: str = "") -> None:
        super().__init__(f"[{host}] {message}", hint)
        self.host = host


class HostKeyError(ConnectError):
    """The host key differs from the one recorded for this cluster."""


class AuthError(ConnectError):
    """Authentication failed with every method that was tried."""


class CommandError(KubexmError):
    """A command failed. Carries host, command, exit status and output, secrets redacted."""

    def __init__(
        self,
        host: str,
        command: str,
        exit_status: int | None,
        stdout: str = "",
        stderr: str = "",
        hint: str = "",
    ) -> None:
        self.host = host
        self.command = command
        self.exit_status = exit_status
        self.stdout = stdout
        self.stderr = stderr
        detail = (stderr or stdout).strip().splitlines()
        tail = f": {detail[-1]}" if detail else ""
        super().__init__(f"[{host}] command failed (exit {exit_status}): {command}{tail}", hint)


class CommandTimeout(CommandError):
    """A command ran past its timeout; the remote process was killed."""

    def __init__(self, host: str, command: str, timeout: float) -> None:
        super().__init__(
            host,
            command,
            None,
            hint="raise the step timeout or check why the command hangs on the host",
        )
        self.timeout = timeout
        self.message = f"[{host}] command timed out after {timeout:g}s: {command}"


class TransferError(KubexmError):
    """Copying a file to or from a host failed."""


class StepError(KubexmError):
    """A step failed on a host."""


class PlanError(KubexmError):
    """The execution graph is not valid."""


class StateError(KubexmError):
    """The state store or a lock prevents the run."""


class ArtifactError(KubexmError):
    """An artifact could not be obtained or verified."""


class PKIError(KubexmError):
    """A certificate or key could not be created, loaded or verified."""


class LabError(KubexmError):
    """The local lab could not be built, started or stopped."""
