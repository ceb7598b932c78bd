"""``python -m kubexm`` is the same CLI as the ``kubexm`` console script."""

from __future__ import annotations

import subprocess
import sys

from kubexm import __version__


def test_python_dash_m_kubexm_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kubexm", "--version"], capture_output=True, text=True, check=False
    )

    assert done.returncode == 0 and done.stdout.strip() == f"kubexm {__version__}"


def test_python_dash_m_kubexm_passes_the_exit_code() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kubexm", "config", "validate", "-f", "/nonexistent.yaml"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2 and "nonexistent.yaml" in done.stderr
