"""The learner's "your turn" tasks: notebooks 01-07 and 09 each ask for one core piece, then check it here.

A task cell defines a function whose body the learner writes (an unwritten one raises ``NotImplementedError``);
the next cell calls :func:`your_turn`, which runs it and the package's version on the same small, fixed input and
prints what matches and what does not. The lesson goes on with the package's version either way, so a task can
be skipped and come back to; the graded solutions test the same function with :func:`check`.
"""

from .checks import TASKS, Task, TaskReport, check, your_turn

__all__ = ["TASKS", "Task", "TaskReport", "check", "your_turn"]
