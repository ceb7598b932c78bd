from __future__ import annotations

import pytest

from kubexm.util.docerror import DocumentSyntaxError


@pytest.mark.parametrize(
    ("err", "text"),
    [
        pytest.param(DocumentSyntaxError("bad", 3, 5, "c.yaml"), "c.yaml:3:5: bad", id="file"),
        pytest.param(DocumentSyntaxError("bad", 3, 5), "line 3, column 5: bad", id="text"),
        pytest.param(DocumentSyntaxError("bad", 0, 0, "c.yaml"), "c.yaml: bad", id="no-line"),
        pytest.param(DocumentSyntaxError("bad"), "bad", id="bare"),
    ],
)
def test_document_syntax_error_names_position(err: DocumentSyntaxError, text: str) -> None:
    assert str(err) == text
    assert isinstance(err, ValueError)
    assert err.message == "bad"
