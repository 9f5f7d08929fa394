"""Exercise checks: each chapter's code exercise, graded (``initlib.check_*``).

Each ``check_*`` function takes the reader's answer (a function), calls it on a few
cases, and either prints one line starting with "Correct:" and returns None, or
raises ``AssertionError`` with a message that says what is wrong and how to fix it.
Typical slips (a variance instead of a std, the wrong fan, ...) are recognized and
named. The checks are in chapter order; a new chapter adds its check at the end.
"""

import numpy as np

__all__ = [
    "check_row_spread",           # chapter 1
    "check_linear_growth",        # chapter 2
    "check_xavier_std",           # chapter 3
    "check_predicted_variances",  # chapter 4
    "check_he_std",               # chapter 5
    "check_prior_bias",           # chapter 6
    "check_lsuv_step",            # chapter 8
    "check_stream_variance",      # chapter 9
    "check_mup_table",            # chapter 10
    "check_length_map",           # chapter 11
]


def _first_slip(got, slips, *, rtol=1e-6, atol=0.0):
    """The explanation of the first typical slip whose value ``got`` matches, or None.

    ``slips`` is a list of ``(value, why)``: what a reader who made that slip would have
    returned (an array, or a function that computes it) and what to tell them.
    """
    for value, why in slips:
        if np.allclose(got, value() if callable(value) else value, rtol=rtol, atol=atol):
            return why
    return None


def _explain(got, slips, prefix, otherwise, **tolerance):
    """Raise the AssertionError for a wrong answer: the first matching slip, else ``otherwise``."""
    if why := _first_slip(got, slips, **tolerance):
        raise AssertionError(f"{prefix}: {why}.")
    raise AssertionError(otherwise)


def _number(value):
    return float(value)


def _numbers(value):
    return np.asarray(value, dtype=float).ravel()


def _matrix(value):
    """A float array (not None, which numpy would turn into nan)."""
    if value is None:
        raise TypeError("None")
    return np.asarray(value, dtype=float)


def _numbers_from(function, name, cases):
    """The reader's ``function`` called on every case; each must return one number."""
    return np.array([_call_reader(function, f"{name}{case}", case, _number,
                                  "return one number (a float)") for case in cases])


def _explain_numbers(name, cases, got, want, slips, formula):
    """The AssertionError for a function of numbers: a named slip, or the first wrong case."""
    calls = ", ".join(f"{name}{c} = {g:.6g}" for c, g in zip(cases[:2], got))
    k = int(np.argmax(~np.isclose(got, want, rtol=1e-6)))
    _explain(got, slips, calls, f"{name}{cases[k]} returned {got[k]:.6g}, expected "
                                f"{want[k]:.6g} = {formula(*cases[k])}.")


def _check_one_value_per_layer(call, got, want, input_name, input_value, rtol):
    """AssertionError unless ``got`` has one value per layer l = 1..L (not the input's too)."""
    L = len(want)
    if got.size == L + 1 and np.allclose(got, np.r_[input_value, want], rtol=rtol):
        raise AssertionError(
            f"{call} returned {L + 1} values starting with {input_name} = {input_value}: "
            f"return the layers l = 1..{L} only ({L} values), not the input layer.")
    if got.size != L:
        raise AssertionError(
            f"{call} returned {got.size} value(s); expected one per layer l = 1..{L} "
            f"({L} values), e.g. {np.round(want, 6).tolist()}.")


def _call_reader(function, call, args, convert, fix, on_error=""):
    """``convert(function(*args))``; whatever goes wrong becomes an AssertionError quoting ``call``.

    The reader's code may raise anything or return anything: report it, never crash.
    ``fix`` says what to return when the result cannot be converted.
    """
    try:
        value = function(*args)
    except Exception as exc:  # the reader's code: report, do not crash
        raise AssertionError(f"{call} raised {type(exc).__name__}: {exc}{on_error}") from exc
    try:
        return convert(value)
    except (TypeError, ValueError):
        raise AssertionError(f"{call} returned {value!r}; {fix}") from None



# --------------------------------------------------------------------------
# Chapter 1 (Why initialization matters: symmetry): identical units
# --------------------------------------------------------------------------
def check_row_spread(row_spread):
    r"""Check ``row_spread(W)``: the largest difference between two units (rows) of ``W``.

    The answer is :math:`\max_k \max_{j,j'} |W_{jk} - W_{j'k}|`, i.e.
    ``np.ptp(W, axis=0).max()``: 0 exactly when every unit has the same incoming
    weights. Typical slips are named: the spread within a row (``axis=1``), the
    range of all entries, a standard deviation, comparing only the first two rows,
    a signed difference.
    """

    rng = np.random.default_rng(0)
    identical = np.tile([[0.3, -1.2, 2.0]], (4, 1))
    one_differs = identical.copy()
    one_differs[3, 1] += 0.7
    cases = {
        "4 identical rows [0.3, -1.2, 2.0]": identical,
        "4 identical rows except W[3, 1] larger by 0.7": one_differs,
        "a random 5x3 matrix": rng.normal(size=(5, 3)),
        "a random 3x6 matrix": rng.normal(size=(3, 6)),
    }
    got = {name: _call_reader(row_spread, f"row_spread({name})", (W.copy(),), _number,
                              "return one number (a float), the largest difference over "
                              "all columns")
           for name, W in cases.items()}
    want = {name: float(np.ptp(W, axis=0).max()) for name, W in cases.items()}
    if all(np.isclose(got[k], want[k], rtol=1e-9, atol=1e-12) for k in cases):
        print("Correct: 0.0 for identical units, 0.7 when one unit differs by 0.7 in one weight.")
        return
    slips = [
        (lambda W: np.ptp(W, axis=1).max(), "you measured the spread *within* each row "
         "(a unit's different input weights, axis=1); compare the rows, column by column: axis=0"),
        (lambda W: W.max() - W.min(), "you took the range of all entries, which mixes a "
         "unit's different input weights; compare the rows column by column (axis=0)"),
        (lambda W: W.std(axis=0).max(), "you returned a standard deviation across rows; the "
         "question asks for the largest difference, max - min per column"),
        (lambda W: W.std(), "you returned the standard deviation of all entries; the question "
         "asks for the largest difference between two rows, max - min per column"),
        (lambda W: np.abs(W[0] - W[1]).max(), "you compared only the first two rows; a layer "
         "has many units: take max - min over *all* rows, per column"),
        (lambda W: (W[0] - W[1]).max(), "you compared only the first two rows, with a signed "
         "difference; take max - min over all rows, per column"),
    ]
    for slip, why in slips:
        if all(np.isclose(got[k], slip(W), rtol=1e-9, atol=1e-12) for k, W in cases.items()):
            raise AssertionError(why + ".")
    name = next(k for k in cases if not np.isclose(got[k], want[k], rtol=1e-9, atol=1e-12))
    raise AssertionError(
        f"row_spread({name}) returned {got[name]:.6g}, expected {want[name]:.6g}: "
        "the largest |W[j, k] - W[j', k]| over pairs of rows j, j' and columns k.")


# --------------------------------------------------------------------------
# Chapter 2 (Vanishing and exploding signals): growth in a deep linear net
# --------------------------------------------------------------------------
def check_linear_growth(predicted_std):
    r"""Check ``predicted_std(sigma, n, depth, input_std)``: the std of each layer of a deep linear net.

    For a linear network of width ``n`` whose weights are i.i.d. with mean 0 and
    std ``sigma``, and an input with std ``input_std``, the answer is
    :math:`\mathrm{std}(a^{[l]}) = \mathrm{input\_std}\,(\sigma\sqrt{n})^{l}` for
    :math:`l = 1..\mathrm{depth}` (one value per layer, input excluded). Typical
    slips are named: variances, :math:`\sigma n` or :math:`\sigma/\sqrt n`, an
    exponent off by one, the input std forgotten, the input layer included, one
    layer's factor not compounded.
    """

    cases = [(0.1, 64, 5, 1.0), (0.05, 100, 4, 2.0), (0.3, 16, 6, 1.5)]
    for sigma, n, depth, input_std in cases:
        call = f"predicted_std(sigma={sigma}, n={n}, depth={depth}, input_std={input_std})"
        got = _call_reader(predicted_std, call, (sigma, n, depth, input_std), _numbers,
                           "return one number per layer")
        l = np.arange(1, depth + 1)
        g = sigma * np.sqrt(n)
        want = input_std * g ** l
        _check_one_value_per_layer(call, got, want, "the input's std", input_std, rtol=1e-9)
        if np.allclose(got, want, rtol=1e-9):
            continue
        slips = [
            (input_std**2 * (sigma**2 * n) ** l, "you returned variances; the question asks "
             "for standard deviations (take the square root: the factor is sigma*sqrt(n))"),
            (input_std * (sigma * n) ** l, "you used sigma * n as the factor per layer; a sum "
             "of n independent terms has variance n * sigma^2 * Var(a), so its std grows by "
             "sigma * sqrt(n)"),
            (input_std * (sigma / np.sqrt(n)) ** l, "you divided by sqrt(n); the n terms of the "
             "sum add up, so the std is multiplied by sigma * sqrt(n)"),
            (input_std * g ** (l - 1), "your exponent is off by one: layer 1 already "
             "multiplies the input's std by sigma * sqrt(n), so layer l has (sigma*sqrt(n))**l"),
            (g ** l, f"you left out the input's std ({input_std}): every layer multiplies it"),
            (input_std * g * np.ones(depth), "you applied the factor once; each layer multiplies "
             "the previous layer's std again, so the factors compound: (sigma*sqrt(n))**l"),
        ]
        _explain(got, slips, f"{call} returned {np.round(got, 6).tolist()}",
                 f"{call} returned {np.round(got, 6).tolist()}, expected "
                 f"{np.round(want, 6).tolist()} = input_std * (sigma * sqrt(n))**l.", rtol=1e-9)
    print("Correct: with sigma * sqrt(n) = 0.8 the std after 5 layers is 0.8**5 = 0.328 of the "
          "input's; the critical scale is sigma = 1/sqrt(n).")


# --------------------------------------------------------------------------
# Chapter 3 (What proper initialization is): Glorot & Bengio's std
# --------------------------------------------------------------------------
def check_xavier_std(xavier_std):
    r"""Check ``xavier_std(fan_in, fan_out)``: the std of Glorot & Bengio's normal init.

    The answer is :math:`\sqrt{2/(\mathrm{fan\_in} + \mathrm{fan\_out})}`. Typical
    slips are named: the variance instead of the std, LeCun's ``1/fan_in``, the
    backward-only ``1/fan_out``, a forgotten factor 2, the uniform limit.
    """

    cases = [(64, 100), (100, 10), (784, 256), (30, 30)]
    got = _numbers_from(xavier_std, "xavier_std", cases)
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
    _explain_numbers("xavier_std", cases, got, want, slips,
                     lambda fan_in, fan_out: f"sqrt(2 / ({fan_in} + {fan_out}))")


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

    from .variance import linear_variance_prediction

    cases = [([10, 40, 20, 5], [0.3, 0.05, 0.2], 2.0), ([100] * 5, [0.01] * 4, 1.0)]
    for sizes, var_w, var_x in cases:
        call = f"predicted_variances({sizes}, {var_w}, {var_x})"
        got = _call_reader(predicted_variances, call, (list(sizes), list(var_w), var_x),
                           _numbers, "return a list of numbers")
        want = linear_variance_prediction(sizes, var_w, var_x)
        _check_one_value_per_layer(call, got, want, "Var(x)", var_x, rtol=1e-5)
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
        _explain(got, slips, f"{call} returned {np.round(got, 6).tolist()}",
                 f"{call} returned {np.round(got, 6).tolist()}, expected "
                 f"{np.round(want, 6).tolist()}: Var(a[l]) = n[l-1] * Var(W[l]) * Var(a[l-1]).")
    print("Correct: for widths [10, 40, 20, 5] the variance goes 2.0 -> "
          + " -> ".join(f"{v:g}" for v in linear_variance_prediction(*cases[0])) + ".")


# --------------------------------------------------------------------------
# Chapter 5 (He initialization): the std of He init for (leaky) ReLU
# --------------------------------------------------------------------------
def check_he_std(he_std):
    r"""Check ``he_std(fan_in, slope=0.0)``: the std of He init for a (leaky) ReLU layer.

    The answer is :math:`\sqrt{2 / ((1 + a^2)\,\mathrm{fan\_in})}` with ``a`` the
    negative slope (0 for ReLU, 1 for a linear unit, where it becomes LeCun's
    :math:`\sqrt{1/\mathrm{fan\_in}}`). Typical slips are named: the variance
    instead of the std, a forgotten slope, the slope not squared, LeCun's std, the
    uniform bound.
    """

    cases = [(100, 0.0), (256, 0.2), (64, 0.5), (50, 1.0)]
    got = _numbers_from(he_std, "he_std", cases)
    try:
        he_std(100)
    except TypeError as exc:
        raise AssertionError(
            f"he_std(100) raised TypeError: {exc}; give slope a default, "
            "def he_std(fan_in, slope=0.0), so that he_std(fan_in) is plain ReLU") from exc
    default = _call_reader(he_std, "he_std(100,)", (100,), _number, "return one number (a float)")
    n, a = np.array(cases, dtype=float).T
    want = np.sqrt(2.0 / ((1 + a**2) * n))
    if np.allclose(got, want, rtol=1e-6):
        if not np.isclose(default, np.sqrt(2 / 100), rtol=1e-6):
            raise AssertionError(
                f"he_std(100) returned {default:.6g}; the default slope must be 0 "
                f"(plain ReLU), giving sqrt(2/100) = {np.sqrt(2 / 100):.6g}")
        print(f"Correct: he_std(100) = {want[0]:.4f}; he_std(256, 0.2) = {want[1]:.4f}; "
              f"with slope 1 (a linear unit) he_std(50, 1.0) = {want[3]:.4f} = sqrt(1/50), "
              "LeCun's std.")
        return
    slips = [
        (want**2, "that is the variance 2/((1 + slope^2) fan_in), not the std: take "
         "its square root"),
        (np.sqrt(2.0 / n), "you forgot the leaky slope: a leaky ReLU keeps "
         "(1 + slope^2)/2 of the second moment, not 1/2, so the variance is "
         "2/((1 + slope^2) fan_in)"),
        (np.sqrt(2.0 / ((1 + a) * n)), "square the slope: the negative half is scaled "
         "by slope, so its second moment by slope^2; use (1 + slope**2)"),
        (np.sqrt(1.0 / n), "that is LeCun's std sqrt(1/fan_in); ReLU zeroes half of "
         "its input, so the weights need twice the variance: 2/fan_in"),
        (np.sqrt(2.0 * (1 + a**2) / n), "you multiplied by (1 + slope^2); the leaky "
         "part passes more signal, so the weights need *less* variance: divide"),
        (np.sqrt(6.0 / ((1 + a**2) * n)), "that is the bound of the uniform version, "
         "sqrt(3) times the std; return the std"),
        (np.sqrt(2.0 / (1 + a**2)) / n, "you divided by fan_in instead of its square "
         "root: std = sqrt(2 / ((1 + slope^2) * fan_in))"),
    ]
    _explain_numbers("he_std", cases, got, want, slips,
                     lambda fan_in, slope: f"sqrt(2 / ((1 + {slope}**2) * {fan_in}))")


# --------------------------------------------------------------------------
# Chapter 6 (Initialization in practice): the output bias from the class prior
# --------------------------------------------------------------------------
def check_prior_bias(prior_bias):
    r"""Check ``prior_bias(y, n_classes)``: softmax output biases that predict the class frequencies.

    Any ``b`` with :math:`\mathrm{softmax}(b)_k = p_k`, the fraction of class ``k``
    in ``y``, is correct: :math:`b_k = \log p_k + c` for any constant ``c``
    (softmax ignores a shift). Typical slips are named: the frequencies
    themselves, a wrong sign, the sigmoid's log-odds, counts, zeros.
    """

    rng = np.random.default_rng(0)
    cases = [
        np.repeat([0, 1], [90, 10]),
        np.repeat([0, 1, 2], [5, 15, 80]),
        rng.permutation(np.repeat(np.arange(10), [300, 5, 60, 40, 20, 100, 9, 200, 50, 16])),
    ]

    def softmax(b):
        e = np.exp(b - b.max())
        return e / e.sum()

    for y in cases:
        k = int(y.max()) + 1
        call = f"prior_bias(y, {k}) for class counts {np.bincount(y, minlength=k).tolist()}"
        got = _call_reader(prior_bias, call, (y.copy(), k), _numbers,
                           "return an array of numbers, one bias per class")
        if got.size != k:
            raise AssertionError(f"{call} returned {got.size} value(s); return one bias "
                                 f"per class ({k}).")
        if not np.all(np.isfinite(got)):
            raise AssertionError(f"{call} returned {np.round(got, 4).tolist()}: every bias "
                                 "must be a finite number.")
        p = np.bincount(y, minlength=k) / y.size
        if np.allclose(softmax(got), p, rtol=1e-6, atol=1e-12):
            continue
        slips = [
            (lambda: p, "you returned the class frequencies themselves; the bias is added "
             "*before* the softmax, so it must be a logit: take np.log of the frequencies"),
            (lambda: -np.log(p), "wrong sign: softmax(-log p) gives the rarest class the "
             "most probability; use +log p"),
            (lambda: np.log(p / (1 - p)), "log(p/(1-p)) is the bias of a single sigmoid "
             "output; with a softmax over classes use log p (plus any constant)"),
            (lambda: np.bincount(y, minlength=k).astype(float), "you returned the counts; "
             "take the log of the counts (or of the frequencies)"),
            (lambda: np.zeros(k), "zero biases predict every class with probability "
             "1/n_classes; the prior needs log p"),
        ]
        _explain(got, slips, call,
                 f"{call} returned {np.round(got, 4).tolist()}, whose softmax is "
                 f"{np.round(softmax(got), 4).tolist()}; it should equal the class "
                 f"frequencies {np.round(p, 4).tolist()}: b = log p (plus any constant).")
    print("Correct: softmax(b) equals the class frequencies, e.g. [0.05, 0.15, 0.8]; "
          "adding a constant to every b gives the same softmax.")


# --------------------------------------------------------------------------
# Chapter 8 (Beyond variance: orthogonal initialization and LSUV): one LSUV step
# --------------------------------------------------------------------------
def check_lsuv_step(lsuv_step):
    r"""Check ``lsuv_step(W, A)``: ``W`` rescaled so that ``Z = A @ W.T`` has variance 1.

    The answer is :math:`W / \sqrt{\operatorname{Var}(A W^\top)}`, the variance taken
    over every entry of ``Z`` (all examples and all units), as in Mishkin & Matas's
    LSUV. Typical slips are named: dividing by the variance instead of its square root,
    multiplying instead of dividing, measuring the input ``A`` or the weights ``W``
    instead of the output, one scale per unit (per row of ``W``), the mean square
    instead of the variance, and changing ``W`` in place without returning it.
    """

    rng = np.random.default_rng(8)
    cases = {
        "W (20, 10) ~ N(0, 1), A (200, 10) ~ N(0, 1)":
            (rng.normal(size=(20, 10)), rng.normal(size=(200, 10))),
        "W (5, 30) ~ N(0, 0.01^2), A (300, 30) ~ N(0, 4)":
            (0.01 * rng.normal(size=(5, 30)), 2.0 * rng.normal(size=(300, 30))),
        "W (8, 6) ~ N(0, 1), A (400, 6) = 3 + N(0, 1) (inputs with a non-zero mean)":
            (rng.normal(size=(8, 6)), 3.0 + rng.normal(size=(400, 6))),
    }
    for name, (W, A) in cases.items():
        got = _call_reader(lsuv_step, f"lsuv_step({name})", (W.copy(), A.copy()), _matrix,
                           f"return the rescaled matrix, an array shaped like W, {W.shape} "
                           f"(e.g. `return W / np.sqrt(var)`).",
                           on_error=". Remember the shapes: W is (fan_out, fan_in), A is "
                                    "(batch, fan_in), Z = A @ W.T.")
        if got.shape != W.shape:
            raise AssertionError(
                f"lsuv_step({name}) returned an array of shape {got.shape}; it must have "
                f"W's shape {W.shape}: LSUV rescales W, it does not change it otherwise.")
        Z = A @ W.T
        want = W / np.sqrt(Z.var())
        if np.allclose(got, want, rtol=1e-9, atol=0):
            continue
        slips = [
            (W / Z.var(), "you divided by the variance; divide by its square root, the "
             "standard deviation: scaling W by c scales Var(Z) by c**2"),
            (W * np.sqrt(Z.var()), "you multiplied by the standard deviation; divide by it"),
            (W / A.std(), "you measured the input A; LSUV measures the layer's output "
             "Z = A @ W.T"),
            (W / W.std(), "you normalized the weights themselves; LSUV measures the layer's "
             "output Z = A @ W.T on the data"),
            (W / Z.std(axis=0)[:, None], "you used one scale per unit (per row of W); "
             "LSUV multiplies the whole matrix by one number, the variance taken over all "
             "entries of Z (np.var(Z) or Z.var())"),
            (W / np.sqrt(np.mean(Z**2)), "you used the mean square of Z, not its variance; "
             "they differ as soon as Z's mean is not 0: use Z.var()"),
        ]
        _explain(got, slips, f"lsuv_step({name})",
                 f"lsuv_step({name}) returned a matrix for which Var(A @ W.T) = "
                 f"{float((A @ got.T).var()):.6g}; expected 1, reached with "
                 f"W / sqrt(Var(A @ W.T)) (one number for the whole matrix).", rtol=1e-9)
    print("Correct: one division by the output's standard deviation gives Var(Z) = 1 exactly "
          "(with zero biases); LSUV repeats it layer by layer, from the input up.")


# --------------------------------------------------------------------------
# Chapter 9 (Residual networks): the variance of the residual stream
# --------------------------------------------------------------------------
def check_stream_variance(stream_variance):
    r"""Check ``stream_variance(var0, alpha, kappa, n_blocks)``: the predicted :math:`\operatorname{Var}(h^{[l]})`.

    The answer is the array :math:`\mathrm{var0}\,(1 + \alpha^2 \kappa)^l` for
    ``l = 0, 1, ..., n_blocks`` (length ``n_blocks + 1``): each block adds a branch whose
    variance is :math:`\alpha^2 \kappa` times that of its input (:math:`\kappa`, the branch's
    variance ratio) and uncorrelated with it.
    Typical slips are named: :math:`\alpha` instead of :math:`\alpha^2`, a sum instead
    of a product (linear growth), starting at ``l = 1``, forgetting ``var0``.
    """

    cases = [(1.0, 1.0, 1.0, 4), (2.0, 0.5, 2.0, 6), (0.5, 0.25, 1.0, 16), (3.0, 0.0, 2.0, 3)]
    for var0, alpha, kappa, L in cases:
        call = f"stream_variance(var0={var0}, alpha={alpha}, kappa={kappa}, n_blocks={L})"
        got = _call_reader(stream_variance, call, (var0, alpha, kappa, L), _matrix,
                           f"return an array of n_blocks + 1 = {L + 1} numbers.")
        l = np.arange(L + 1)
        want = var0 * (1 + alpha**2 * kappa) ** l
        if got.shape == want.shape and np.allclose(got, want, rtol=1e-9):
            continue
        if got.shape == (L,):
            raise AssertionError(f"{call} returned {L} numbers; return n_blocks + 1 = {L + 1}, "
                                 f"from l = 0 (the stream before any block, var0) to l = {L}.")
        if got.shape != want.shape:
            raise AssertionError(f"{call} returned shape {got.shape}; expected ({L + 1},), "
                                 f"one variance per l = 0..{L}.")
        slips = [
            (var0 * (1 + alpha * kappa) ** l, "you used alpha, not alpha**2: multiplying the "
             "branch by alpha multiplies its variance by alpha**2"),
            (var0 * (1 + l * alpha**2 * kappa), "the variance grows linearly in your answer; each "
             "block multiplies it by (1 + alpha**2 * kappa), because the branch's variance is "
             "proportional to its input's, which has already grown"),
            ((1 + alpha**2 * kappa) ** l, "you forgot var0, the variance of the stream before "
             "the first block"),
            (var0 * (alpha**2 * kappa) ** l, "you dropped the identity path: h[l] = h[l-1] + "
             "alpha F(h[l-1]) keeps h[l-1], so the factor is 1 + alpha**2 * kappa"),
        ]
        _explain(got, slips, call,
                 f"{call} returned {np.round(got, 4).tolist()}; expected "
                 f"{np.round(want, 4).tolist()} = var0 * (1 + alpha**2 kappa)**l.",
                 rtol=1e-9, atol=1e-8)
    print("Correct: each block multiplies the variance by 1 + alpha**2 kappa, so L blocks give "
          "(1 + alpha**2 kappa)**L; with alpha**2 = 1/L this tends to e**kappa, whatever the depth.")


# --------------------------------------------------------------------------
# Chapter 10 (Width and the maximal update parametrization): muP's table
# --------------------------------------------------------------------------
def _pair(value):
    """Two floats, else TypeError/ValueError (for :func:`_call_reader`)."""
    pair = tuple(float(v) for v in value)
    if len(pair) != 2:
        raise ValueError(f"{len(pair)} values")
    return pair


def check_mup_table(mup_scaling):
    r"""Check a function ``mup_scaling(kind, optimizer, fan_in, fan_out)`` against μP's table.

    It must return ``(init_variance, lr_multiplier)`` of a weight matrix in μP (Yang et al.
    2022, Table 3, with no base model and :math:`\sigma_w^2 = 1`): ``kind`` is ``"input"``,
    ``"hidden"`` or ``"output"`` and ``optimizer`` is ``"sgd"`` or ``"adam"``. The first
    wrong entry is named, with a hint derived from the size of one update.
    """

    if not callable(mup_scaling):
        raise TypeError(f"check_mup_table expects a function mup_scaling(kind, optimizer, "
                        f"fan_in, fan_out), got {mup_scaling!r}.")
    expected = {
        ("input", "sgd"): lambda i, o: (1 / i, o), ("input", "adam"): lambda i, o: (1 / i, 1.0),
        ("hidden", "sgd"): lambda i, o: (1 / i, 1.0),
        ("hidden", "adam"): lambda i, o: (1 / i, 1 / i),
        ("output", "sgd"): lambda i, o: (1 / i ** 2, 1 / i),
        ("output", "adam"): lambda i, o: (1 / i ** 2, 1 / i),
    }
    hints = {
        ("input", "sgd"): "with SGD the input layer's gradient has entries of size 1/fan_out "
                          "(the back-propagated delta is spread over fan_out units); the learning "
                          "rate must grow like fan_out to compensate.",
        ("input", "adam"): "Adam's step has entries of size lr whatever the gradient; the input "
                           "layer sums a fixed number of inputs, so no width factor is needed.",
        ("hidden", "sgd"): "with SGD the hidden gradient's entries are already 1/fan_in-small "
                           "(delta ~ 1/n times a ~ 1), and dW a sums fan_in aligned terms.",
        ("hidden", "adam"): "Adam's step has entries of size lr; dW a sums fan_in aligned terms, "
                            "so the learning rate must shrink like 1/fan_in.",
        ("output", "sgd"): "the output layer's initial variance is 1/fan_in^2 (logits start "
                           "near 0) and its learning rate 1/fan_in: dW a sums fan_in aligned "
                           "terms of size lr.",
        ("output", "adam"): "the output layer's initial variance is 1/fan_in^2 and its learning "
                            "rate 1/fan_in, the same as for SGD.",
    }
    for kind, opt in expected:
        for fan_in, fan_out in ((64, 128), (128, 512), (512, 10)):
            want = expected[(kind, opt)](float(fan_in), float(fan_out))
            got = _call_reader(mup_scaling, f"mup_scaling({kind!r}, {opt!r}, {fan_in}, {fan_out})",
                               (kind, opt, fan_in, fan_out), _pair,
                               "return a pair (init_variance, lr_multiplier).")
            if not np.allclose(got, want, rtol=1e-9, atol=0):
                raise AssertionError(
                    f"mup_scaling({kind!r}, {opt!r}, fan_in={fan_in}, fan_out={fan_out}) "
                    f"returned {got}, expected (init variance, lr) = ({want[0]:.6g}, "
                    f"{want[1]:.6g}). Hint: {hints[(kind, opt)]}")
    print("Correct: your function reproduces μP's initial variances and learning rates "
          "for SGD and Adam.")


# --------------------------------------------------------------------------
# Chapter 11 (The edge of chaos): the length map
# --------------------------------------------------------------------------
def check_length_map(length_map):
    r"""Check ``length_map(q, sigma_w2, sigma_b2)`` for tanh written by the reader.

    The answer is :math:`\sigma_w^2\,\mathrm E[\tanh(\sqrt q\,\xi)^2] + \sigma_b^2`; typical
    slips (σ_w instead of σ_w², q instead of √q, the square of the mean, a forgotten
    σ_b², unnormalized Gauss–Hermite weights) are named. Values within 1e-3 (relative)
    are accepted, so a Monte Carlo answer with 10^6 draws passes.
    """

    from .meanfield import length_map as tanh_length_map

    cases = [(1.0, 1.0, 0.0), (0.5, 2.0, 0.05), (2.0, 1.5, 0.3), (0.1, 4.0, 0.0)]
    got = _numbers_from(length_map, "length_map", cases)
    q, sw, sb = (np.array(v) for v in zip(*cases))
    m2 = tanh_length_map(q, 1.0, 0.0)                  # E[tanh(sqrt(q) xi)^2]
    want = tanh_length_map(q, sw, sb)
    if np.allclose(got, want, rtol=1e-3):
        print(f"Correct: length_map(0.5, 2.0, 0.05) = {want[1]:.4f}.")
        return
    mean = np.zeros_like(q)  # E[tanh] = 0: the square of the mean
    slips = [
        (np.sqrt(sw) * m2 + sb, "you multiplied by sigma_w, not by the variance sigma_w2"),
        (sw * tanh_length_map(q ** 2, 1.0, 0.0) + sb, "you used q as the std of z: z ~ N(0, q) "
         "has std sqrt(q), so evaluate tanh(sqrt(q) * xi)"),
        (sw * mean + sb, "you squared the mean E[tanh]^2 (= 0); the map needs the mean of "
         "the squares E[tanh(z)^2]"),
        (sw * m2, "you forgot + sigma_b2: the bias adds its variance to every q"),
        (sw * m2 * np.sqrt(2 * np.pi) + sb, "your Gauss-Hermite weights sum to sqrt(2 pi): "
         "divide them by sqrt(2 pi) so that they average over N(0, 1)"),
        (sw * m2 * 2 + sb, "your expectation is twice too large: "
         "hermgauss (physicists') needs xi = sqrt(2) x and weights / sqrt(pi); "
         "hermegauss (probabilists') is the one for N(0, 1)"),
    ]
    k = int(np.argmax(~np.isclose(got, want, rtol=1e-3)))
    _explain(got, slips, f"length_map(0.5, 2.0, 0.05) returned {got[1]:.4g}",
             f"length_map{cases[k]} returned {got[k]:.6g}, expected {want[k]:.6g} "
             f"= sigma_w2 * E[tanh(sqrt(q) xi)^2] + sigma_b2.", rtol=1e-3, atol=1e-8)
