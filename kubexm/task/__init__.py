"""Tasks: sub-graphs of steps for one goal."""

from kubexm.task.base import TASKS, Task, register_task

__all__ = ["TASKS", "Task", "register_task"]
