"""Pure helpers with no project state.

Nothing here imports the rest of kubexm (``kubexm.errors`` excepted), so every layer can use
these modules without creating an import cycle. Import the submodules directly, e.g.
``from kubexm.util.cidr import parse_cidr``.
"""
