"""Chapter 10's exercise checker: check_mup_table accepts μP's table and names the wrong entry."""

import pytest

from initlib import check_mup_table


def mup_scaling(kind, optimizer, fan_in, fan_out):
    var = 1 / fan_in ** 2 if kind == "output" else 1 / fan_in
    if optimizer == "sgd":
        lr = {"input": fan_out, "hidden": 1, "output": 1 / fan_in}[kind]
    else:
        lr = 1 if kind == "input" else 1 / fan_in
    return var, lr


def test_accepts_the_table(capsys):
    check_mup_table(mup_scaling)
    assert capsys.readouterr().out.startswith("Correct:")


@pytest.mark.parametrize("wrong, message", [
    (lambda k, o, i, f: (1 / i, mup_scaling(k, o, i, f)[1]), r"'output'.*1/fan_in\^2"),
    (lambda k, o, i, f: (mup_scaling(k, o, i, f)[0], 1 / i if k == "hidden" else
                         mup_scaling(k, o, i, f)[1]), r"'hidden', 'sgd'.*already 1/fan_in-small"),
    (lambda k, o, i, f: (mup_scaling(k, o, i, f)[0], 1), r"'input', 'sgd'.*grow like fan_out"),
])
def test_names_the_wrong_entry(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_mup_table(wrong)


@pytest.mark.parametrize("wrong, message", [
    (lambda k, o, i, f: 1 / i, r"mup_scaling\('input', 'sgd', 64, 128\) returned 0.015625; "
                               r"return a pair \(init_variance, lr_multiplier\)"),
    (lambda k, o, i, f: (1 / i, 1, 0), r"returned \(0.015625, 1, 0\); return a pair"),
    (lambda k, o, i, f: ("a", "b"), r"returned \('a', 'b'\); return a pair"),
    (lambda k, o, i, f: {"input": 1}[k + o], "raised KeyError"),
])
def test_wrong_returns_and_errors_are_reported(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_mup_table(wrong)


def test_a_non_function_is_a_type_error():
    with pytest.raises(TypeError, match="check_mup_table expects a function"):
        check_mup_table(None)
