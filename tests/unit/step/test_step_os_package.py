"""kubexm.step.os: importing the package registers every OS step under ``os/``."""

from __future__ import annotations

import pytest

import kubexm.step.os as os_steps
from kubexm.step import STEPS


@pytest.mark.parametrize("class_name", os_steps.__all__)
def test_every_os_step_is_registered_with_an_os_name_and_title(class_name: str) -> None:
    cls = getattr(os_steps, class_name)
    assert cls.name.startswith("os/")
    assert cls.title
    assert STEPS.get(cls.name) is cls
