"""The package's shape: no module reaches into another's private names; modules stay reachable."""

import ast
import importlib
import pathlib

import pytest

import initlib

PACKAGE = pathlib.Path(initlib.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))


def _is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _defined_here(tree):
    """Private names a module defines itself: functions, classes, attributes it assigns."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if _is_private(n)}


def private_reaches(source, filename="<module>"):
    """``from .x import _name`` and ``anything._name`` where ``_name`` is defined elsewhere."""
    tree = ast.parse(source, filename)
    own = _defined_here(tree)
    found = []
    for node in ast.walk(tree):
        from_a_module = node.module not in (None, "initlib") if isinstance(node, ast.ImportFrom) else False
        if from_a_module and (node.level or node.module.startswith("initlib")):   # not a submodule
            found += [f"line {node.lineno}: from {'.' * node.level}{node.module or ''} import {a.name}"
                      for a in node.names if _is_private(a.name)]
        elif (isinstance(node, ast.Attribute) and _is_private(node.attr)
              and node.attr not in own
              and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(PACKAGE)) for p in MODULES])
def test_no_module_uses_another_modules_private_names(path):
    assert private_reaches(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize("source, expected", [
    ("from .mlp import _check_dtype", ["line 1: from .mlp import _check_dtype"]),
    ("from initlib.mlp import MLP, _make_parameter", ["line 1: from initlib.mlp import _make_parameter"]),
    ("def f(net):\n    return net._forward(1)", ["line 2: net._forward"]),
    ("from . import initializers\ninitializers._check_rng(0)", ["line 2: initializers._check_rng"]),
    ("class A:\n    def _f(self):\n        return 1\n\ndef g(a):\n    return a._f()", []),
    ("from ._validation import check_real\nx = self._y\ny = obj.__dict__", []),
    ("from . import _kernel as kernel\nfrom initlib import _blas", []),        # private modules

])
def test_the_private_name_check_can_fail(source, expected):
    assert private_reaches(source) == expected


def test_modules_are_reachable_next_to_their_functions():
    training = importlib.import_module("initlib.training")
    lsuv_init = importlib.import_module("initlib.lsuv_init")
    assert initlib.train is training.train and initlib.lsuv is lsuv_init.lsuv
    assert callable(initlib.train) and callable(initlib.lsuv)
    # the names used before the rename still import (chapter 8: from initlib.lsuv import lsuv)
    from initlib.lsuv import lsuv
    from initlib.train import History, train
    assert lsuv is initlib.lsuv and train is initlib.train and History is initlib.History
    assert importlib.import_module("initlib.lsuv") is lsuv_init


def test_exercise_checks_are_in_chapter_order():
    from initlib import exercises

    names = exercises.__all__
    assert names[0] == "check_row_spread" and names[-1] == "check_length_map"
    lines = [exercises.__dict__[n].__code__.co_firstlineno for n in names]
    assert lines == sorted(lines)
    assert all(getattr(initlib, n) is getattr(exercises, n) for n in names)
