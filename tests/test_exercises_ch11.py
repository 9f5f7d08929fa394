"""Chapter 11's exercise checker: check_length_map accepts quadrature and Monte Carlo answers
and names typical slips."""

import numpy as np
import pytest

from initlib import check_length_map


def _gauss_hermite_answer(q, sigma_w2, sigma_b2):
    x, w = np.polynomial.hermite_e.hermegauss(100)
    return sigma_w2 * np.sum(w / np.sqrt(2 * np.pi) * np.tanh(np.sqrt(q) * x) ** 2) + sigma_b2


def test_accepts_gauss_hermite_and_monte_carlo(capsys):
    check_length_map(_gauss_hermite_answer)
    assert capsys.readouterr().out.startswith("Correct:")
    xi = np.random.default_rng(0).standard_normal(2_000_000)
    check_length_map(lambda q, sw, sb: sw * np.mean(np.tanh(np.sqrt(q) * xi) ** 2) + sb)


@pytest.mark.parametrize("wrong, message", [
    (lambda q, sw, sb: _gauss_hermite_answer(q, np.sqrt(sw), sb),
     "sigma_w, not by the variance"),
    (lambda q, sw, sb: _gauss_hermite_answer(q * q, sw, sb), "you used q as the std"),
    (lambda q, sw, sb: sb + 0 * q, "squared the mean"),
    (lambda q, sw, sb: _gauss_hermite_answer(q, sw, 0.0), r"forgot \+ sigma_b2"),
    (lambda q, sw, sb: (_gauss_hermite_answer(q, sw, 0) * np.sqrt(2 * np.pi) + sb), "sqrt\\(2 pi\\)"),
    (lambda q, sw, sb: _gauss_hermite_answer(q, 2 * sw, sb), "twice too large"),
    (lambda q, sw, sb: 1.1 * _gauss_hermite_answer(q, sw, sb), r"expected .* = sigma_w2"),
])
def test_rejects_typical_slips_with_a_reason(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_length_map(wrong)


def test_errors_and_wrong_types_are_reported():
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        check_length_map(lambda q, sw, sb: 1 / 0)
    with pytest.raises(AssertionError, match=r"length_map\(1.0, 1.0, 0.0\) returned \[1, 2\]; "
                                             r"return one number"):
        check_length_map(lambda q, sw, sb: [1, 2])
