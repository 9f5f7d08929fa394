"""Tests of the chapter 1 exercise checker: accepts a correct answer, names typical slips."""

import numpy as np
import pytest

from initlib import check_row_spread


def test_row_spread_accepts_correct_answers(capsys):
    check_row_spread(lambda W: np.ptp(W, axis=0).max())
    check_row_spread(lambda W: float((W.max(axis=0) - W.min(axis=0)).max()))
    assert "Correct" in capsys.readouterr().out


@pytest.mark.parametrize(
    "answer, message",
    [
        (lambda W: np.ptp(W, axis=1).max(), r"within\* each row .*axis=0"),
        (lambda W: W.max() - W.min(), "range of all entries"),
        (lambda W: W.std(axis=0).max(), "standard deviation across rows"),
        (lambda W: W.std(), "standard deviation of all entries"),
        (lambda W: np.abs(W[0] - W[1]).max(), "only the first two rows"),
        (lambda W: (W[0] - W[1]).max(), "first two rows"),
    ],
)
def test_row_spread_names_typical_slips(answer, message):
    with pytest.raises(AssertionError, match=message):
        check_row_spread(answer)


def test_row_spread_rejects_arrays_and_errors():
    with pytest.raises(AssertionError, match="return one number"):
        check_row_spread(lambda W: np.ptp(W, axis=0))
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        check_row_spread(lambda W: 1 / 0)


def test_row_spread_reports_other_wrong_answers():
    with pytest.raises(AssertionError, match="expected 0.7"):
        check_row_spread(lambda W: 2 * np.ptp(W, axis=0).max() if W.shape == (4, 3) else np.ptp(W, axis=0).max())
