"""Chapter 4's exercise checker: check_predicted_variances accepts the answer and names slips."""

import numpy as np
import pytest

from initlib import check_predicted_variances


def correct(layer_sizes, weight_vars, var_x):
    out, v = [], var_x
    for n_prev, var_w in zip(layer_sizes[:-1], weight_vars):
        v = n_prev * var_w * v
        out.append(v)
    return out


def test_accepts_correct_answer(capsys):
    check_predicted_variances(correct)
    assert "Correct" in capsys.readouterr().out


def test_accepts_numpy_answer():
    check_predicted_variances(
        lambda sizes, var_w, var_x: var_x * np.cumprod(np.array(sizes[:-1]) * np.array(var_w))
    )


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda s, w, v: np.sqrt(correct(s, w, v)), "standard deviations"),
        (lambda s, w, v: correct(s, w, 1.0), "left out Var\\(x\\)"),
        (lambda s, w, v: [v * n * u for n, u in zip(s[:-1], w)], "cumulative product"),
        (lambda s, w, v: v * np.cumprod(np.array(s[1:]) * np.array(w)), "fan_out"),
        (lambda s, w, v: [v] + correct(s, w, v), "not the input layer"),
        (lambda s, w, v: correct(s, w, v)[-1], "expected one per layer"),
        (lambda s, w, v: [1.0, 2.0, 3.0], "expected \\[6.0, 12.0, 48.0\\]"),
    ],
)
def test_rejects_typical_slips_with_a_reason(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_predicted_variances(wrong)


def test_reports_exceptions():
    with pytest.raises(AssertionError, match="raised KeyError"):
        check_predicted_variances(lambda s, w, v: {}["x"])
