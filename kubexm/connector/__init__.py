"""Host connections: one ``Connection`` API over SSH (asyncssh) and local processes.

Import from the submodules: ``base`` (the contract), ``settings``, ``ssh``, ``local``, ``pool``.
"""
