"""The ``kubexm`` entry point: global options, sub-commands, and where errors become exit codes.

Exit codes: 0 success, 1 the operation failed, 2 bad usage or invalid config, 3 ``plan`` found
pending changes, 130 interrupted.
"""

from __future__ import annotations

import sys
import traceback
from typing import Annotated

import typer

from kubexm import __version__
from kubexm.cmd.bundle_cmd import bundle_app, download_command
from kubexm.cmd.certs_cmd import certs_app
from kubexm.cmd.cluster_cmd import create_app, kubeconfig_command, plan_command
from kubexm.cmd.config_cmd import config_app
from kubexm.cmd.images_cmd import images_app
from kubexm.cmd.lab_cmd import lab_app
from kubexm.cmd.output import report_error
from kubexm.cmd.preflight_cmd import preflight_command
from kubexm.cmd.state import CLIState, OutputFormat
from kubexm.errors import KubexmError
from kubexm.logger import RunLogger

app = typer.Typer(
    name="kubexm",
    help="Deploy and operate Kubernetes clusters on plain Linux hosts over SSH.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(config_app, name="config")
app.add_typer(lab_app, name="lab")
app.add_typer(certs_app, name="certs")
app.add_typer(bundle_app, name="bundle")
app.command("download")(download_command)
app.add_typer(images_app, name="images")
app.command("preflight")(preflight_command)
app.add_typer(create_app, name="create")
app.command("plan")(plan_command)
app.command("kubeconfig")(kubeconfig_command)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"kubexm {__version__}")
        raise typer.Exit(0)


@app.callback()
def main(
    ctx: typer.Context,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show debug output and tracebacks.")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Answer yes to every confirmation.")
    ] = False,
    output: Annotated[
        OutputFormat, typer.Option("--output", "-o", help="Result format.")
    ] = OutputFormat.table,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Global options apply to every command and go before the command name."""
    ctx.obj = CLIState(verbose=verbose, yes=yes, output=output)
    if verbose:
        # Debug lines (every command sent, redacted; exit codes; timings) go to stderr.
        debug = RunLogger(verbosity=1, console=sys.stderr)
        debug.install()
        ctx.call_on_close(debug.uninstall)


def _state_from(argv: list[str]) -> CLIState:
    """Best-effort global options for error reporting when parsing itself failed."""
    state = CLIState(verbose="-v" in argv or "--verbose" in argv)
    for flag in ("-o", "--output"):
        if flag in argv and argv.index(flag) + 1 < len(argv):
            value = argv[argv.index(flag) + 1]
            if value in OutputFormat.__members__:
                state.output = OutputFormat(value)
    return state


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; never lets a traceback reach the user without -v."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="kubexm", standalone_mode=False)
    except KubexmError as error:
        report_error(_state_from(args), error)
        return error.exit_code
    except typer.Exit as done:
        return done.exit_code
    except typer.TyperException as error:  # usage errors found by the parser
        _usage_error(error)
        return 2
    except (typer.Abort, KeyboardInterrupt):
        code = INTERRUPTED
    except OSError as error:  # the terminal or a pipe went away, a disk is full...
        sys.stderr.write(f"error: {error.strerror or error} (writing output or reading input)\n")
        return 1
    except Exception as error:  # a bug: say so in one line, the trace only with -v
        _internal_error(error, _state_from(args))
        return 1
    if code == INTERRUPTED:  # typer turns Ctrl-C into a silent exit code
        sys.stderr.write("interrupted\n")
    # Without standalone mode a ``typer.Exit`` inside a command comes back as the return value.
    return code if isinstance(code, int) else 0


INTERRUPTED = 130


def _usage_error(error: typer.TyperException) -> None:
    message = error.format_message().strip()
    # With no arguments typer prints the help itself and raises with the help as message.
    if message and not message.startswith("Usage:"):
        sys.stderr.write(f"error: {message}\n")


def _internal_error(error: Exception, state: CLIState) -> None:
    if state.verbose:
        traceback.print_exc()
    sys.stderr.write(
        f"error: internal error: {type(error).__name__}: {error}"
        " (this is a kubexm bug; run with -v for the traceback and report it)\n"
    )


def entry() -> None:
    """Console-script entry: exit with ``run()``'s code."""
    sys.exit(run())
