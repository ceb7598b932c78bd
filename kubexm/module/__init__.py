"""Modules: linkers of the tasks of one area."""

from kubexm.module.base import MODULES, Module, register_module

__all__ = ["MODULES", "Module", "register_module"]
