"""Tests of the chapter 2 exercise checker: accepts a correct answer, names typical slips."""

import numpy as np
import pytest

from initlib import check_linear_growth


def correct(sigma, n, depth, input_std=1.0):
    return input_std * (sigma * np.sqrt(n)) ** np.arange(1, depth + 1)


def test_linear_growth_accepts_correct_answers(capsys):
    check_linear_growth(correct)
    check_linear_growth(lambda s, n, d, x: [x * (s * n**0.5) ** l for l in range(1, d + 1)])
    assert "Correct" in capsys.readouterr().out


def test_linear_growth_agrees_with_a_simulation():
    # the formula the checker expects is what a deep linear net does, on average
    rng = np.random.default_rng(0)
    sigma, n, depth = 0.15, 64, 4
    a = 2.0 * rng.standard_normal((4000, n))
    stds = []
    for _ in range(depth):
        a = a @ (sigma * rng.standard_normal((n, n))).T
        stds.append(a.std())
    np.testing.assert_allclose(stds, correct(sigma, n, depth, 2.0), rtol=0.1)


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda s, n, d, x: x**2 * (s**2 * n) ** np.arange(1, d + 1), "variances"),
        (lambda s, n, d, x: x * (s * n) ** np.arange(1, d + 1), r"sigma \* n as the factor"),
        (lambda s, n, d, x: x * (s / np.sqrt(n)) ** np.arange(1, d + 1), "divided by sqrt"),
        (lambda s, n, d, x: x * (s * np.sqrt(n)) ** np.arange(0, d), "off by one"),
        (lambda s, n, d, x: (s * np.sqrt(n)) ** np.arange(1, d + 1), "left out the input"),
        (lambda s, n, d, x: x * s * np.sqrt(n) * np.ones(d), "compound"),
        (lambda s, n, d, x: x * (s * np.sqrt(n)) ** np.arange(0, d + 1), "layers l = 1"),
        (lambda s, n, d, x: correct(s, n, d - 1, x), r"returned \d value\(s\)"),
        (lambda s, n, d, x: "big", "one number per layer"),
        (lambda s, n, d, x: 1 / 0, "raised ZeroDivisionError"),
        (lambda s, n, d, x: 1.01 * correct(s, n, d, x), "expected"),
    ],
)
def test_linear_growth_names_typical_slips(answer, message):
    with pytest.raises(AssertionError, match=message):
        check_linear_growth(answer)
