"""Checkers for the chapters' code exercises.

Each ``check_*`` function takes the reader's answer (usually a function), runs it
on a few cases and either returns quietly with a short "correct" message or
raises ``AssertionError`` with a message that says what is wrong and how to fix it.
"""

__all__ = [
    "check_xavier_std",
    "check_predicted_variances",
]


# --------------------------------------------------------------------------
# Chapter 3 (What proper initialization is): Glorot & Bengio's std
# --------------------------------------------------------------------------
def _call_number(func, *args):
    """``func(*args)`` as a float, or an AssertionError that says what came back."""
    try:
        value = func(*args)
    except Exception as exc:  # the reader's code: report, do not crash
        raise AssertionError(
            f"{getattr(func, '__name__', 'your function')}{args} raised "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{getattr(func, '__name__', 'your function')}{args} returned "
            f"{value!r}; return one number (a float)"
        ) from None


def check_xavier_std(xavier_std):
    r"""Check ``xavier_std(fan_in, fan_out)``: the std of Glorot & Bengio's normal init.

    The answer is :math:`\sqrt{2/(\mathrm{fan\_in} + \mathrm{fan\_out})}`. Typical
    slips are named: the variance instead of the std, LeCun's ``1/fan_in``, the
    backward-only ``1/fan_out``, a forgotten factor 2, the uniform limit.
    """
    import numpy as np

    cases = [(64, 100), (100, 10), (784, 256), (30, 30)]
    got = [_call_number(xavier_std, fan_in, fan_out) for fan_in, fan_out in cases]
    fi, fo = np.array(cases, dtype=float).T
    want = np.sqrt(2.0 / (fi + fo))
    if np.allclose(got, want, rtol=1e-6):
        print(f"Correct: xavier_std(64, 100) = {want[0]:.4f}, "
              f"against LeCun's sqrt(1/64) = {1 / 8:.4f}.")
        return
    slips = [
        (2.0 / (fi + fo), "you returned the variance 2/(fan_in + fan_out), "
         "not the standard deviation: take its square root"),
        (np.sqrt(1.0 / fi), "you used fan_in only: sqrt(1/fan_in) is LeCun's "
         "rule (what the source text calls Xavier); Glorot & Bengio average the fans: "
         "2/(fan_in + fan_out)"),
        (1.0 / fi, "you returned 1/fan_in, LeCun's variance; Glorot & Bengio's "
         "std is sqrt(2/(fan_in + fan_out))"),
        (np.sqrt(1.0 / fo), "you used fan_out only: sqrt(1/fan_out) keeps the "
         "backward pass alone; Glorot & Bengio average the fans: 2/(fan_in + fan_out)"),
        (np.sqrt(1.0 / (fi + fo)), "you forgot the factor 2: the variance is "
         "2/(fan_in + fan_out), the inverse of the *average* fan"),
        (np.sqrt(6.0 / (fi + fo)), "you returned the limit of the uniform "
         "version, sqrt(6/(fan_in + fan_out)); the std is that limit divided by sqrt(3)"),
        (np.sqrt(2.0) / (fi + fo), "you divided sqrt(2) by (fan_in + fan_out) "
         "without its square root: std = sqrt(2 / (fan_in + fan_out))"),
    ]
    calls = ", ".join(f"xavier_std{c} = {g:.6g}" for c, g in zip(cases[:2], got))
    for value, why in slips:
        if np.allclose(got, value, rtol=1e-6):
            raise AssertionError(f"{calls}: {why}.")
    k = int(np.argmax(~np.isclose(got, want, rtol=1e-6)))
    raise AssertionError(
        f"xavier_std{cases[k]} returned {got[k]:.6g}, expected {want[k]:.6g} "
        f"= sqrt(2 / ({cases[k][0]} + {cases[k][1]})).")


# --------------------------------------------------------------------------
# Chapter 4 (Deriving Xavier initialization): the linear variance prediction
# --------------------------------------------------------------------------
def check_predicted_variances(predicted_variances):
    r"""Check ``predicted_variances(layer_sizes, weight_vars, var_x)``.

    It must return the linear theory's :math:`\mathrm{Var}(a^{[l]})` for the layers
    :math:`l = 1..L` (one value each, input layer excluded):
    :math:`\mathrm{Var}(a^{[l]}) = n^{[l-1]}\,\mathrm{Var}(W^{[l]})\,\mathrm{Var}(a^{[l-1]})`,
    :math:`\mathrm{Var}(a^{[0]}) =` ``var_x``, for ``layer_sizes = [n0, ..., nL]`` and
    ``weight_vars = [Var(W[1]), ..., Var(W[L])]``.
    """
    import numpy as np

    from .variance import linear_variance_prediction

    cases = [([10, 40, 20, 5], [0.3, 0.05, 0.2], 2.0), ([100] * 5, [0.01] * 4, 1.0)]
    for sizes, var_w, var_x in cases:
        call = f"predicted_variances({sizes}, {var_w}, {var_x})"
        try:
            got = predicted_variances(list(sizes), list(var_w), var_x)
        except Exception as exc:  # the reader's code: report, do not crash
            raise AssertionError(f"{call} raised {type(exc).__name__}: {exc}") from exc
        try:
            got = np.asarray(got, dtype=float).ravel()
        except (TypeError, ValueError):
            raise AssertionError(f"{call} returned {got!r}; return a list of numbers") from None
        want = linear_variance_prediction(sizes, var_w, var_x)
        L = len(sizes) - 1
        if got.size == L + 1 and np.allclose(got, np.r_[var_x, want]):
            raise AssertionError(
                f"{call} returned {L + 1} values starting with Var(x) = {var_x}: return the "
                f"layers 1..L only ({L} values), not the input layer.")
        if got.size != L:
            raise AssertionError(
                f"{call} returned {got.size} value(s); expected one per layer l = 1..{L} "
                f"({L} values), e.g. {np.round(want, 6).tolist()}.")
        if np.allclose(got, want, rtol=1e-6):
            continue
        slips = [
            (np.sqrt(want), "you returned standard deviations; return the variances"),
            (want / var_x, f"you left out Var(x) = {var_x}: the product of the factors "
             "n[l-1] Var(W[l]) multiplies the input variance"),
            (var_x * np.asarray(sizes[:-1]) * np.asarray(var_w), "each value must multiply "
             "the previous layer's variance (a cumulative product), not only Var(x)"),
            (var_x * np.cumprod(np.asarray(sizes[1:]) * np.asarray(var_w)), "you multiplied by "
             "n[l], the layer's own width (fan_out); the forward pass sums over the n[l-1] "
             "inputs of each unit (fan_in)"),
        ]
        for value, why in slips:
            if np.allclose(got, value, rtol=1e-6):
                raise AssertionError(f"{call} returned {np.round(got, 6).tolist()}: {why}.")
        raise AssertionError(
            f"{call} returned {np.round(got, 6).tolist()}, expected "
            f"{np.round(want, 6).tolist()}: Var(a[l]) = n[l-1] * Var(W[l]) * Var(a[l-1]).")
    print("Correct: for widths [10, 40, 20, 5] the variance goes 2.0 -> "
          + " -> ".join(f"{v:g}" for v in linear_variance_prediction(*cases[0])) + ".")

