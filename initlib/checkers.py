"""Checkers for the chapters' code exercises.

Each ``check_*`` function takes the reader's answer (usually a function), runs it
on a few cases and either returns quietly with a short "correct" message or
raises ``AssertionError`` with a message that says what is wrong and how to fix it.
"""

__all__ = []
