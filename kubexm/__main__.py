"""``python -m kubexm``: the same CLI as the ``kubexm`` console script."""

from kubexm.cmd.main import entry

entry()
