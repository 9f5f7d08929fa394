"""Tests of initlib.initializers: fans, variances, bounds, orthogonality, seeds, errors.

Statistical tests draw a fixed seed and compare the sample std with the formula,
allowing 5 standard errors of the sample std. For N draws with variance s^2 and
kurtosis k = E[w^4]/s^4, the sample std has standard error s * sqrt((k-1)/(4N)):
k = 3 for a normal (s/sqrt(2N)), 9/5 for a uniform, and the value computed
below for the truncated normal.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import initlib
from initlib import (
    TRUNCATED_NORMAL_STD,
    TRUNCATION_BOUND,
    available_initializers,
    fans,
    get_initializer,
    variance_scaling,
)

CONTRACT_NAMES = [
    "zeros", "ones", "constant", "normal", "uniform", "variance_scaling",
    "lecun_normal", "lecun_uniform", "xavier_normal", "xavier_uniform",
    "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
    "kaiming_normal", "kaiming_uniform", "orthogonal",
]

# dense square, tall, wide, and a conv kernel (out, in, kh, kw); ~100k entries each
SHAPES = [(300, 300), (1000, 100), (100, 1000), (64, 32, 7, 7)]


def truncated_kurtosis(b=TRUNCATION_BOUND):
    """E[x^4]/E[x^2]^2 for N(0,1) cut at ±b (integration by parts on x^4 phi)."""
    phi, mass = math.exp(-b * b / 2) / math.sqrt(2 * math.pi), math.erf(b / math.sqrt(2))
    m2 = 1 - 2 * b * phi / mass
    m4 = 3 - 2 * (b**3 + 3 * b) * phi / mass
    return m4 / m2**2


KURTOSIS = {"normal": 3.0, "uniform": 9 / 5, "truncated_normal": truncated_kurtosis()}


def assert_std_close(w, std, distribution, n_se=5):
    """Sample std within n_se standard errors of `std`, and mean within n_se of 0."""
    n = w.size
    se_std = std * math.sqrt((KURTOSIS[distribution] - 1) / (4 * n))
    assert abs(w.std() - std) < n_se * se_std, (w.std(), std, se_std)
    assert abs(w.mean()) < n_se * std / math.sqrt(n), (w.mean(), std)


def pytorch_fans(shape):
    """PyTorch's _calculate_fan_in_and_fan_out rule, written out."""
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


# --- the named constant ---------------------------------------------------------
def test_truncated_normal_std_constant():
    assert TRUNCATED_NORMAL_STD == pytest.approx(0.87962566103423978, abs=1e-15)
    # independent check by numerical integration of x^2 phi(x) on [-2, 2]
    x = np.linspace(-2, 2, 200_001)
    phi = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    var = np.trapezoid(x * x * phi, x) / np.trapezoid(phi, x)
    assert math.sqrt(var) == pytest.approx(TRUNCATED_NORMAL_STD, abs=1e-9)


def test_truncated_normal_std_constant_by_monte_carlo():
    z = np.random.default_rng(0).standard_normal(400_000)
    kept = z[np.abs(z) <= 2]
    se = TRUNCATED_NORMAL_STD * math.sqrt((truncated_kurtosis() - 1) / (4 * kept.size))
    assert abs(kept.std() - TRUNCATED_NORMAL_STD) < 5 * se


# --- fans -------------------------------------------------------------------------
def test_fans_dense_and_conv_hand_worked():
    assert fans((256, 784)) == (784, 256)
    assert fans((64, 3, 5, 5)) == (75, 1600)
    assert fans([10, 20, 3]) == (60, 30)


@settings(max_examples=100, deadline=None)
@given(shape=st.lists(st.integers(1, 50), min_size=2, max_size=5).map(tuple))
def test_fans_follow_pytorch_rule(shape):
    assert fans(shape) == pytorch_fans(shape)
    fan_in, fan_out = fans(shape)
    assert isinstance(fan_in, int) and isinstance(fan_out, int)


def test_fans_accept_numpy_ints_and_arrays():
    assert fans((np.int64(4), np.int32(3))) == (3, 4)
    assert fans(np.array([4, 3])) == (3, 4)


# --- variance_scaling: every mode x distribution x shape ------------------------------
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["normal", "truncated_normal", "uniform"])
def test_variance_scaling_std_matches_formula(shape, mode, distribution):
    scale = 1.7
    fan_in, fan_out = pytorch_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    w = variance_scaling(shape, scale=scale, mode=mode, distribution=distribution, rng=1)
    assert w.shape == shape and w.dtype == np.float64
    assert_std_close(w, math.sqrt(scale / n), distribution)


@pytest.mark.parametrize("shape", SHAPES)
def test_uniform_stays_inside_limit_and_reaches_it(shape):
    fan_in, _ = pytorch_fans(shape)
    limit = math.sqrt(3 * 2.0 / fan_in)
    w = variance_scaling(shape, scale=2.0, distribution="uniform", rng=2)
    # P(max |w| < limit (1 - eps)) = (1 - eps)^N = e^-20 for eps = 20/N
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() >= limit * (1 - 20 / w.size)


@pytest.mark.parametrize("shape", SHAPES)
def test_truncated_normal_stays_inside_two_std_of_its_normal(shape):
    fan_in, _ = pytorch_fans(shape)
    std = math.sqrt(1 / fan_in)
    bound = TRUNCATION_BOUND * std / TRUNCATED_NORMAL_STD  # ~2.27 std
    w = variance_scaling(shape, distribution="truncated_normal", rng=3)
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() >= 0.99 * bound  # ~200 of 1e5 draws land in the last 1 %


def test_truncated_normal_is_not_a_plain_normal():
    # a plain normal with the same std would put ~2.3 % of draws beyond 2.27 std
    w = variance_scaling((1000, 100), distribution="truncated_normal", rng=4)
    assert np.mean(np.abs(w) > 2.2 * math.sqrt(1 / 100)) < 0.01


# --- presets -----------------------------------------------------------------------------
def expected_std(name, shape, gain=None, mode="fan_in"):
    """The papers' formulas (PyTorch / Keras conventions), written out independently."""
    fan_in, fan_out = pytorch_fans(shape)
    if name.startswith("lecun"):
        return (1 if gain is None else gain) / math.sqrt(fan_in)
    if name.startswith(("xavier", "glorot")):
        return (1 if gain is None else gain) * math.sqrt(2 / (fan_in + fan_out))
    fan = fan_in if mode == "fan_in" else fan_out  # he / kaiming: std = gain / sqrt(fan)
    return (math.sqrt(2) if gain is None else gain) / math.sqrt(fan)


PRESETS = [
    "lecun_normal", "lecun_uniform", "xavier_normal", "xavier_uniform",
    "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
    "kaiming_normal", "kaiming_uniform",
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", PRESETS)
def test_preset_std_matches_paper_formula(name, shape):
    w = get_initializer(name)(shape, rng=5)
    distribution = "uniform" if name.endswith("uniform") else "normal"
    assert_std_close(w, expected_std(name, shape), distribution)


@pytest.mark.parametrize("name", PRESETS)
def test_preset_gain_multiplies_std(name):
    shape = (400, 250)
    g = initlib.gain("leaky_relu", 0.2)
    w = get_initializer(name)(shape, gain=g, rng=6)
    distribution = "uniform" if name.endswith("uniform") else "normal"
    assert_std_close(w, expected_std(name, shape, gain=g), distribution)


@pytest.mark.parametrize("name", ["he_normal", "he_uniform"])
def test_he_mode_fan_out(name):
    shape = (100, 1000)
    w = get_initializer(name)(shape, mode="fan_out", rng=7)
    distribution = "uniform" if name.endswith("uniform") else "normal"
    assert_std_close(w, expected_std(name, shape, mode="fan_out"), distribution)


def test_aliases_are_the_same_functions():
    assert initlib.glorot_normal is initlib.xavier_normal
    assert initlib.glorot_uniform is initlib.xavier_uniform
    assert initlib.kaiming_normal is initlib.he_normal
    assert initlib.kaiming_uniform is initlib.he_uniform


def test_uniform_presets_limits():
    # Glorot & Bengio's normalized init: U(±sqrt(6/(fan_in+fan_out))); He: U(±sqrt(6/fan_in))
    w = initlib.xavier_uniform((200, 300), rng=8)
    assert np.abs(w).max() <= math.sqrt(6 / 500)
    assert np.abs(w).max() >= math.sqrt(6 / 500) * (1 - 20 / w.size)
    w = initlib.he_uniform((200, 300), rng=8)
    assert np.abs(w).max() <= math.sqrt(6 / 300)


# --- orthogonal -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5, 5), (8, 3), (3, 8), (6, 2, 3, 3), (4, 2, 3)])
@pytest.mark.parametrize("g", [1.0, 2.5])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape, g):
    w = initlib.orthogonal(shape, gain=g, rng=9)
    assert w.shape == shape and w.dtype == np.float64
    m = w.reshape(shape[0], -1)
    rows, cols = m.shape
    if rows <= cols:  # wide or square: orthonormal rows
        np.testing.assert_allclose(m @ m.T, g**2 * np.eye(rows), atol=1e-12)
    if rows >= cols:  # tall or square: orthonormal columns
        np.testing.assert_allclose(m.T @ m, g**2 * np.eye(cols), atol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(m, compute_uv=False), g, atol=1e-12)


def test_orthogonal_is_haar_distributed_thanks_to_sign_fix():
    # For a Haar-random 2x2 orthogonal matrix, W[0, 0] is symmetric around 0 with
    # E[W00^2] = 1/2. Without the sign fix numpy's QR makes W[0, 0] always negative.
    n = 400
    w00 = np.array([initlib.orthogonal((2, 2), rng=seed)[0, 0] for seed in range(n)])
    assert abs(w00.mean()) < 5 * math.sqrt(0.5 / n)
    assert 0.3 < np.mean(w00 > 0) < 0.7


# --- simple initializers -------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 4), 5, ()])
def test_zeros_ones_constant_accept_any_shape(shape):
    expected_shape = (shape,) if isinstance(shape, int) else shape
    for w, value in [
        (initlib.zeros(shape), 0.0),
        (initlib.ones(shape), 1.0),
        (initlib.constant(shape, value=-0.5), -0.5),
    ]:
        assert w.shape == expected_shape and w.dtype == np.float64
        assert np.all(w == value)


def test_normal_and_uniform_any_shape_with_their_parameters():
    w = initlib.normal((200_000,), mean=0.3, std=0.02, rng=10)
    assert abs(w.mean() - 0.3) < 5 * 0.02 / math.sqrt(w.size)
    assert abs(w.std() - 0.02) < 5 * 0.02 / math.sqrt(2 * w.size)
    w = initlib.uniform((200_000,), low=1.0, high=3.0, rng=10)
    assert w.min() >= 1.0 and w.max() < 3.0
    assert abs(w.mean() - 2.0) < 5 * (2 / math.sqrt(12)) / math.sqrt(w.size)


def test_normal_and_uniform_defaults_match_keras():
    w = initlib.normal((300, 300), rng=11)
    assert_std_close(w, 0.05, "normal")
    w = initlib.uniform((300, 300), rng=11)
    assert np.abs(w).max() <= 0.05
    assert_std_close(w, 0.05 / math.sqrt(3), "uniform")


# --- registry -------------------------------------------------------------------------------------
def test_available_initializers_is_the_contract():
    assert available_initializers() == CONTRACT_NAMES


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_every_name_is_reachable_and_returns_float64(name):
    f = get_initializer(name)
    assert getattr(initlib, name) is f
    options = {"value": 0.1} if name == "constant" else {}
    w = f((6, 4), rng=0, **options)
    assert w.shape == (6, 4) and w.dtype == np.float64


def test_get_initializer_returns_a_callable_unchanged():
    def my_init(shape, *, rng=None):
        return np.zeros(shape)

    assert get_initializer(my_init) is my_init


# --- randomness ----------------------------------------------------------------------------------------
RANDOM_NAMES = [n for n in CONTRACT_NAMES if n not in ("zeros", "ones", "constant")]


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_seeded_calls_repeat_and_different_seeds_differ(name):
    f = get_initializer(name)
    np.testing.assert_array_equal(f((5, 4), rng=42), f((5, 4), rng=42))
    np.testing.assert_array_equal(
        f((5, 4), rng=np.random.default_rng(42)), f((5, 4), rng=42)
    )
    assert not np.array_equal(f((5, 4), rng=42), f((5, 4), rng=43))


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_a_shared_generator_advances_and_none_works(name):
    f = get_initializer(name)
    gen = np.random.default_rng(0)
    assert not np.array_equal(f((5, 4), rng=gen), f((5, 4), rng=gen))
    assert f((5, 4)).shape == (5, 4)


def test_no_global_random_state_is_used():
    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    initlib.he_normal((5, 4), rng=1)
    initlib.orthogonal((5, 4), rng=1)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# --- errors --------------------------------------------------------------------------------------------
FAN_BASED = ["variance_scaling", "lecun_normal", "xavier_uniform", "he_normal", "orthogonal"]


@pytest.mark.parametrize("name", FAN_BASED)
def test_fan_based_initializers_reject_1d_shapes(name):
    with pytest.raises(ValueError, match=r"shape must have at least 2 dimensions .* got \(10,\) with 1\. .*for a bias vector use zeros"):
        get_initializer(name)((10,))
    with pytest.raises(ValueError, match=r"at least 2 dimensions"):
        fans((10,))


@pytest.mark.parametrize("shape", [(0, 3), (3, -1), (2, 0, 5)])
def test_non_positive_sizes(shape):
    pattern = r"shape must contain positive sizes, got \(.*\); every dimension must be >= 1"
    with pytest.raises(ValueError, match=pattern):
        fans(shape)
    with pytest.raises(ValueError, match=pattern):
        initlib.zeros(shape)


@pytest.mark.parametrize("shape", [(3.0, 4), (True, 4), (3, np.float64(2.0))])
def test_non_int_sizes(shape):
    with pytest.raises(TypeError, match=r"shape must contain ints, got .* of type (float|bool|float64); write sizes as ints"):
        initlib.he_normal(shape)


def test_shape_of_wrong_type():
    with pytest.raises(TypeError, match=r"shape must be a tuple or list of ints such as \(fan_out, fan_in\), got '3x4' of type str"):
        initlib.zeros("3x4")


def test_passing_an_array_instead_of_its_shape():
    with pytest.raises(TypeError, match=r"got an array with shape \(3, 4\); did you mean to pass `array.shape`"):
        fans(np.zeros((3, 4)))


def test_unknown_mode_and_distribution():
    with pytest.raises(ValueError, match=r"Unknown mode 'fan_inn'\. Did you mean 'fan_in'\? Valid values: fan_in, fan_out, fan_avg"):
        variance_scaling((3, 4), mode="fan_inn")
    with pytest.raises(ValueError, match=r"Unknown distribution 'gaussian'\. Valid values: normal, truncated_normal, uniform"):
        variance_scaling((3, 4), distribution="gaussian")
    with pytest.raises(ValueError, match=r"Unknown mode 'fan_avg_'\. Did you mean 'fan_avg'\?"):
        initlib.he_normal((3, 4), mode="fan_avg_")


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: variance_scaling((3, 4), scale=-1.0), r"scale must be >= 0\.0, got -1\.0; e\.g\. scale=1\.0 \(scale = gain\*\*2; 2\.0 for ReLU\)"),
        (lambda: variance_scaling((3, 4), scale=math.inf), r"scale must be finite, got inf"),
        (lambda: variance_scaling((3, 4), scale=math.nan), r"scale must be finite, got nan"),
        (lambda: initlib.xavier_normal((3, 4), gain=-2), r"gain must be >= 0\.0, got -2\.0; e\.g\. gain=1\.0 or gain=initlib\.gain\('relu'\)"),
        (lambda: initlib.orthogonal((3, 4), gain=math.nan), r"gain must be finite, got nan"),
        (lambda: initlib.normal((3,), std=-0.1), r"std must be >= 0\.0, got -0\.1; e\.g\. std=0\.01"),
        (lambda: initlib.normal((3,), mean=math.inf), r"mean must be finite, got inf; e\.g\. mean=0\.0"),
        (lambda: initlib.constant((3,), value=math.nan), r"value must be finite, got nan; e\.g\. value=0\.1"),
        (lambda: initlib.uniform((3,), low=1.0, high=1.0), r"uniform needs low < high, got low=1\.0, high=1\.0; e\.g\. low=-0\.05, high=0\.05"),
        (lambda: initlib.uniform((3,), low=2, high=-2), r"uniform needs low < high, got low=2\.0, high=-2\.0"),
    ],
)
def test_bad_numbers_raise_value_error(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda: variance_scaling((3, 4), scale="2"), r"scale must be a real number, got '2' of type str; e\.g\. scale=1\.0"),
        (lambda: initlib.he_normal((3, 4), gain=None), r"gain must be a real number, got None of type NoneType"),
        (lambda: initlib.constant((3,), value=True), r"value must be a real number, got True of type bool"),
    ],
)
def test_bad_number_types_raise_type_error(call, pattern):
    with pytest.raises(TypeError, match=pattern):
        call()


def test_constant_requires_value():
    with pytest.raises(TypeError, match=r"missing 1 required keyword-only argument: 'value'"):
        initlib.constant((3,))


@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_legacy_random_state_is_rejected_with_advice(name):
    with pytest.raises(TypeError, match=r"got a legacy np\.random\.RandomState; use rng=np\.random\.default_rng\(seed\) instead"):
        get_initializer(name)((3, 4), rng=np.random.RandomState(0))


@pytest.mark.parametrize("bad", [0.5, "0", True])
def test_rng_of_wrong_type(bad):
    with pytest.raises(TypeError, match=r"rng must be None, an int seed or a np\.random\.Generator, got .* of type (float|str|bool); e\.g\. rng=0"):
        initlib.he_normal((3, 4), rng=bad)


def test_negative_seed():
    with pytest.raises(ValueError, match=r"an int seed for rng must be >= 0, got -1"):
        initlib.normal((3,), rng=-1)


def test_unknown_initializer_lists_names_and_closest_match():
    with pytest.raises(ValueError, match=r"Unknown initializer 'he_norml'\. Did you mean 'he_normal'\? Valid names: zeros, ones, .*orthogonal\. Or pass a function"):
        get_initializer("he_norml")
    with pytest.raises(ValueError, match=r"Unknown initializer 'xyz'\. Valid names:"):
        get_initializer("xyz")


def test_initializer_of_wrong_type():
    with pytest.raises(TypeError, match=r"initializer must be a name \(str\) or a function f\(shape, \*, rng=None\), got 3 of type int"):
        get_initializer(3)


def test_all_public_names_exist():
    from initlib import initializers

    for name in initializers.__all__:
        assert hasattr(initlib, name), name


@pytest.mark.parametrize("mean, std", [(0.0, 0.3), (1.5, 0.01), (-2.0, 0.0)])
def test_normal_draws_are_generator_normal_bit_for_bit(mean, std):
    """initlib draws N(mean, std^2) as mean + std z; it must equal Generator.normal exactly."""
    from initlib.initializers import _scaled_normal

    got = _scaled_normal(np.random.default_rng(3), mean, std, (64, 33))
    want = np.random.default_rng(3).normal(mean, std, size=(64, 33))
    assert got.tobytes() == want.tobytes()
    assert initlib.normal((64, 33), mean=mean, std=std, rng=3).tobytes() == want.tobytes()
