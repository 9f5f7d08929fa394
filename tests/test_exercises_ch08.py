"""Chapter 8's exercise checker: check_lsuv_step accepts the answer and names typical slips."""

import numpy as np
import pytest

from initlib import check_lsuv_step


def lsuv_step(W, A):
    return W / np.sqrt((A @ W.T).var())


def test_accepts_correct_answer(capsys):
    check_lsuv_step(lsuv_step)
    out = capsys.readouterr().out
    assert out.startswith("Correct:")


def test_accepts_other_correct_forms():
    check_lsuv_step(lambda W, A: W / np.std(A @ W.T))
    check_lsuv_step(lambda W, A: W * (1 / np.var(np.dot(A, W.T))) ** 0.5)

    def in_place_and_returned(W, A):
        W /= np.std(A @ W.T)
        return W

    check_lsuv_step(in_place_and_returned)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda W, A: W / (A @ W.T).var(), "divided by the variance"),
        (lambda W, A: W * (A @ W.T).std(), "multiplied by the standard deviation"),
        (lambda W, A: W / A.std(), "you measured the input A"),
        (lambda W, A: W / W.std(), "normalized the weights themselves"),
        (lambda W, A: W / (A @ W.T).std(axis=0)[:, None], "one scale per unit"),
        (lambda W, A: W / np.sqrt(np.mean((A @ W.T) ** 2)), "mean square of Z, not its variance"),
        (lambda W, A: W / np.sqrt((A @ W.T).var()) * 1.1, r"Var\(A @ W.T\) = 1.21; expected 1"),
    ],
)
def test_rejects_typical_slips_with_a_reason(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check_lsuv_step(wrong)


def test_in_place_without_return():
    def forgot_return(W, A):
        W /= np.std(A @ W.T)

    with pytest.raises(AssertionError, match="returned None; return the rescaled matrix"):
        check_lsuv_step(forgot_return)


def test_wrong_shapes_and_errors_are_reported():
    with pytest.raises(AssertionError, match=r"shape \(10, 20\); it must have W's shape \(20, 10\)"):
        check_lsuv_step(lambda W, A: (W / np.std(A @ W.T)).T)
    with pytest.raises(AssertionError, match="raised ValueError.*Z = A @ W.T"):
        check_lsuv_step(lambda W, A: W / np.std(A @ W))     # forgot the transpose
    with pytest.raises(AssertionError, match=r"returned 'W'; return the rescaled matrix, an array shaped like W, \(20, 10\)"):
        check_lsuv_step(lambda W, A: "W")
