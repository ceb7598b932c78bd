"""File modes kubexm writes on hosts and in the work directory."""

from __future__ import annotations

DIR = 0o755
FILE = 0o644
EXECUTABLE = 0o755
# Keys, kubeconfigs, tokens, anything holding a credential.
SECRET_FILE = 0o600
SECRET_DIR = 0o700
