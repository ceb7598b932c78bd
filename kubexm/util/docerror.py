"""The error raised for unreadable YAML, TOML and JSON text."""

from __future__ import annotations


class DocumentSyntaxError(ValueError):
    """Text that does not parse, with where it broke.

    ``line`` and ``column`` are 1-based (0 when the parser did not say); ``source`` is the file
    name when the text came from a file. The message never quotes values from the document,
    so a secret next to the error does not leak into output.
    """

    def __init__(self, message: str, line: int = 0, column: int = 0, source: str = "") -> None:
        self.message = message
        self.line = line
        self.column = column
        self.source = source
        super().__init__(message, line, column, source)

    def __str__(self) -> str:
        where = self.source
        if self.line:
            where = f"{where}:{self.line}:{self.column}" if where else f"line {self.line}"
            if not self.source:
                where += f", column {self.column}"
        return f"{where}: {self.message}" if where else self.message
