"""Chapter 9's exercise checker: check_stream_variance accepts the answer and names typical slips."""

import numpy as np
import pytest

from initlib import check_stream_variance


def test_accepts_correct_answer(capsys):
    check_stream_variance(lambda v, a, k, L: v * (1 + a * a * k) ** np.arange(L + 1))
    assert capsys.readouterr().out.startswith("Correct:")


def test_accepts_a_list():
    check_stream_variance(lambda v, a, g, L: [v * (1 + a**2 * g) ** l for l in range(L + 1)])


@pytest.mark.parametrize("wrong, message", [
    (lambda v, a, g, L: v * (1 + a * g) ** np.arange(L + 1), "alpha, not alpha\\*\\*2"),
    (lambda v, a, g, L: v * (1 + np.arange(L + 1) * a**2 * g), "grows linearly"),
    (lambda v, a, g, L: (1 + a**2 * g) ** np.arange(L + 1), "forgot var0"),
    (lambda v, a, g, L: v * (a**2 * g) ** np.arange(L + 1), "dropped the identity path"),
    (lambda v, a, g, L: v * (1 + a**2 * g) ** np.arange(1, L + 1), "return n_blocks \\+ 1"),
    (lambda v, a, g, L: v * (1 + a**2 * g) ** np.arange(L + 2), "returned shape"),
    (lambda v, a, g, L: 1.1 * v * (1 + a**2 * g) ** np.arange(L + 1), "expected"),
])
def test_rejects_typical_slips_with_a_reason(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_stream_variance(wrong)


def test_errors_and_wrong_types_are_reported():
    with pytest.raises(AssertionError, match="returned 'x'; return an array of n_blocks \\+ 1 = 5"):
        check_stream_variance(lambda v, a, g, L: "x")
    with pytest.raises(AssertionError, match="returned None; return an array"):
        check_stream_variance(lambda v, a, g, L: None)
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        check_stream_variance(lambda v, a, g, L: 1 / 0)
