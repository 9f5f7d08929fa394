"""Chapter 5's exercise checker: check_he_std accepts the answer and names typical slips."""

import math

import numpy as np
import pytest

from initlib import check_he_std


def he_std(fan_in, slope=0.0):
    return math.sqrt(2 / ((1 + slope**2) * fan_in))


def test_accepts_correct_answer(capsys):
    check_he_std(he_std)
    out = capsys.readouterr().out
    assert out.startswith("Correct:")
    assert "LeCun" in out


def test_accepts_numpy_answer_and_initlib_gain():
    import initlib

    check_he_std(lambda n, slope=0.0: np.sqrt(2.0 / ((1 + slope**2) * n)))
    check_he_std(lambda n, slope=0.0: initlib.gain("leaky_relu", slope) / np.sqrt(n))


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda n, a=0.0: 2 / ((1 + a**2) * n), "that is the variance"),
        (lambda n, a=0.0: math.sqrt(2 / n), "you forgot the leaky slope"),
        (lambda n, a=0.0: math.sqrt(2 / ((1 + a) * n)), "square the slope"),
        (lambda n, a=0.0: math.sqrt(1 / n), "LeCun's std"),
        (lambda n, a=0.0: math.sqrt(2 * (1 + a**2) / n), "divide"),
        (lambda n, a=0.0: math.sqrt(6 / ((1 + a**2) * n)), "bound of the uniform"),
        (lambda n, a=0.0: math.sqrt(2 / (1 + a**2)) / n, "instead of its square root"),
        (lambda n, a=0.0: 0.1, r"expected 0\.1414"),
    ],
)
def test_rejects_typical_slips_with_a_reason(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_he_std(wrong)


def test_needs_a_default_slope():
    with pytest.raises(AssertionError, match="give slope a default"):
        check_he_std(lambda fan_in, slope: he_std(fan_in, slope))


def test_default_slope_must_be_zero():
    with pytest.raises(AssertionError, match="default slope must be 0"):
        check_he_std(lambda fan_in, slope=None: he_std(fan_in, 0.01 if slope is None else slope))


def test_reports_errors_and_non_numbers():
    def broken(fan_in, slope=0.0):
        raise ZeroDivisionError("oops")

    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        check_he_std(broken)
    with pytest.raises(AssertionError, match="return one number"):
        check_he_std(lambda n, a=0.0: None)
