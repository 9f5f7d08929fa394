"""Chapter 6's exercise checker: check_prior_bias accepts log-prior biases and names typical slips."""

import numpy as np
import pytest

from initlib import check_prior_bias


def freq(y, k):
    return np.bincount(y, minlength=k) / len(y)


def test_accepts_log_frequencies(capsys):
    check_prior_bias(lambda y, k: np.log(freq(y, k)))
    assert capsys.readouterr().out.startswith("Correct:")


def test_accepts_any_shift_and_log_counts():
    check_prior_bias(lambda y, k: np.log(freq(y, k)) + 3.0)
    check_prior_bias(lambda y, k: np.log(np.bincount(y, minlength=k)))
    check_prior_bias(lambda y, k: list(np.log(freq(y, k))))


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda y, k: freq(y, k), "frequencies themselves"),
        (lambda y, k: -np.log(freq(y, k)), "wrong sign"),
        (lambda y, k: np.log(freq(y, k) / (1 - freq(y, k))), "single sigmoid"),
        (lambda y, k: np.bincount(y, minlength=k).astype(float), "returned the counts"),
        (lambda y, k: np.zeros(k), "1/n_classes"),
        (lambda y, k: np.log(freq(y, k))[:-1], "one bias per class"),
        (lambda y, k: np.sqrt(freq(y, k)), "should equal the class frequencies"),
    ],
)
def test_rejects_typical_slips_with_a_reason(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_prior_bias(wrong)


def test_reports_errors_and_non_finite():
    def broken(y, k):
        raise ValueError("oops")

    with pytest.raises(AssertionError, match="raised ValueError"):
        check_prior_bias(broken)
    with pytest.raises(AssertionError, match="finite"):
        check_prior_bias(lambda y, k: np.full(k, np.nan))
