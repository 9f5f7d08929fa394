"""Chapter 3's exercise checker: check_xavier_std accepts the answer and names typical slips."""

import math

import pytest

from initlib import check_xavier_std


def test_accepts_correct_answer(capsys):
    check_xavier_std(lambda fan_in, fan_out: math.sqrt(2 / (fan_in + fan_out)))
    assert capsys.readouterr().out.startswith("Correct:")


def test_accepts_numpy_answer():
    import numpy as np

    check_xavier_std(lambda fan_in, fan_out: np.sqrt(2.0 / (fan_in + fan_out)))


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda i, o: 2 / (i + o), "you returned the variance"),
        (lambda i, o: math.sqrt(1 / i), "that is|LeCun's\\s+rule"),
        (lambda i, o: 1 / i, "LeCun's variance"),
        (lambda i, o: math.sqrt(1 / o), "fan_out only"),
        (lambda i, o: math.sqrt(1 / (i + o)), "forgot the factor 2"),
        (lambda i, o: math.sqrt(6 / (i + o)), "limit of the uniform"),
        (lambda i, o: math.sqrt(2) / (i + o), "without its square root"),
        (lambda i, o: 0.1, "expected 0.110432"),
    ],
)
def test_rejects_typical_slips_with_a_reason(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_xavier_std(wrong)


def test_lecun_message_names_lecun():
    with pytest.raises(AssertionError) as info:
        check_xavier_std(lambda i, o: math.sqrt(1 / i))
    assert "fan_in only" in str(info.value) and "LeCun" in str(info.value)


def test_reports_exceptions_and_non_numbers():
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        check_xavier_std(lambda i, o: 1 / 0)
    with pytest.raises(AssertionError, match="return one number"):
        check_xavier_std(lambda i, o: [0.1, 0.2])
