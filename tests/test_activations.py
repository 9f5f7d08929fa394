"""Tests of initlib.activations: forward/derivative pairs, stability, gains, registry."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import initlib
from initlib import Activation, available_activations, gain, get_activation
from initlib.activations import SELU_ALPHA, SELU_LAMBDA

NAMES = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]

# Reference formulas written directly from the definitions (no stability tricks),
# valid for moderate z.
REFERENCE = {
    "linear": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "selu": lambda z: np.where(z > 0, SELU_LAMBDA * z, SELU_LAMBDA * SELU_ALPHA * (np.exp(z) - 1)),
}


def gaussian_expectation(f, q=1.0, n=400_001, width=12.0):
    """E[f(sqrt(q) Z)] for Z ~ N(0, 1), by the trapezoid rule on [-width, width]."""
    z = np.linspace(-width, width, n)
    density = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return float(np.trapezoid(f(math.sqrt(q) * z) * density, z))


# --- registry ---------------------------------------------------------------
def test_available_activations_lists_every_name():
    assert available_activations() == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_get_activation_returns_named_activation_object(name):
    act = get_activation(name)
    assert isinstance(act, Activation)
    assert act.name == name
    assert act is getattr(initlib, name)  # also reachable as initlib.<name>
    assert get_activation(act) is act  # an Activation passes through unchanged
    assert act.gain == gain(name)


def test_activation_is_callable_and_has_readable_repr():
    z = np.array([-1.0, 2.0])
    np.testing.assert_array_equal(initlib.relu(z), initlib.relu.forward(z))
    assert repr(get_activation("leaky_relu", 0.2)) == (
        "Activation('leaky_relu', param=0.2, gain=1.38675)"
    )
    assert repr(initlib.tanh) == "Activation('tanh', gain=1.66667)"


def test_activation_is_frozen():
    with pytest.raises(AttributeError):
        initlib.tanh.gain = 1.0


def test_leaky_relu_param_sets_slope_and_gain():
    act = get_activation("leaky_relu", param=0.2)
    z = np.array([-2.0, 3.0])
    np.testing.assert_allclose(act.forward(z), [-0.4, 3.0])
    np.testing.assert_allclose(act.derivative(z), [0.2, 1.0])
    assert act.param == 0.2
    assert act.gain == pytest.approx(math.sqrt(2 / (1 + 0.2**2)))
    assert get_activation("leaky_relu") is initlib.leaky_relu
    assert initlib.leaky_relu.param == 0.01


# --- forward values and derivatives ------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_forward_matches_reference_formula(name):
    z = np.linspace(-6, 6, 241)
    np.testing.assert_allclose(get_activation(name).forward(z), REFERENCE[name](z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_central_differences(name):
    act = get_activation(name)
    rng = np.random.default_rng(0)
    z = rng.uniform(-6, 6, size=2000)
    z = z[np.abs(z) > 1e-3]  # relu, leaky_relu and selu have a kink at 0
    h = 1e-6
    numeric = (act.forward(z + h) - act.forward(z - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(z), numeric, rtol=1e-6, atol=1e-8)


@settings(max_examples=50, deadline=None)
@given(z=st.floats(-30, 30).filter(lambda v: abs(v) > 1e-3), slope=st.floats(0, 1))
def test_leaky_relu_derivative_matches_central_difference_for_any_slope(z, slope):
    act = get_activation("leaky_relu", slope)
    h = 1e-7
    numeric = (act.forward(np.array(z + h)) - act.forward(np.array(z - h))) / (2 * h)
    assert act.derivative(np.array(z)) == pytest.approx(numeric, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_from_forward_output_equals_derivative_from_z(name):
    act = get_activation(name)
    z = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(act.derivative(z, act.forward(z)), act.derivative(z), rtol=1e-12)


def test_derivative_uses_the_given_forward_output():
    # sigmoid' = a(1-a) and tanh' = 1-a^2 are computed from `a` when given
    z = np.zeros(1)
    assert initlib.sigmoid.derivative(z, a=np.array([0.1]))[0] == pytest.approx(0.09)
    assert initlib.tanh.derivative(z, a=np.array([0.5]))[0] == pytest.approx(0.75)
    # selu' = a + lambda alpha for z <= 0
    z_neg = np.array([-1.0])
    assert initlib.selu.derivative(z_neg, a=np.array([-0.5]))[0] == pytest.approx(-0.5 + SELU_LAMBDA * SELU_ALPHA)


def test_derivative_at_kink_is_documented_value():
    z0 = np.array([0.0])
    assert initlib.relu.derivative(z0)[0] == 0.0
    assert get_activation("leaky_relu", 0.3).derivative(z0)[0] == pytest.approx(0.3)
    assert initlib.selu.derivative(z0)[0] == pytest.approx(SELU_LAMBDA * SELU_ALPHA)


def test_small_hand_worked_values():
    z = np.array([-2.0, 0.0, 1.0])
    np.testing.assert_allclose(initlib.relu.forward(z), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(initlib.sigmoid.forward(np.array([0.0, math.log(3)])), [0.5, 0.75])
    np.testing.assert_allclose(initlib.sigmoid.derivative(np.array([0.0])), [0.25])
    np.testing.assert_allclose(initlib.tanh.derivative(np.array([0.0])), [1.0])
    np.testing.assert_allclose(initlib.linear.derivative(z), [1.0, 1.0, 1.0])


# --- dtype -------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward_and_derivative_keep_float_dtype(name, dtype):
    act = get_activation(name)
    z = np.linspace(-3, 3, 7, dtype=dtype)
    assert act.forward(z).dtype == dtype
    assert act.derivative(z).dtype == dtype
    assert act.derivative(z, act.forward(z)).dtype == dtype


@pytest.mark.parametrize("name", NAMES)
def test_integer_and_list_input_compute_in_float64(name):
    act = get_activation(name)
    assert act.forward(np.array([-1, 0, 2])).dtype == np.float64
    assert act.derivative([-1, 0, 2]).dtype == np.float64


def test_linear_forward_returns_a_copy():
    z = np.array([1.0, 2.0])
    a = initlib.linear.forward(z)
    a[0] = 99.0
    assert z[0] == 1.0


# --- numerical stability -------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_no_floating_point_warnings_for_huge_inputs(name, dtype):
    act = get_activation(name)
    z = np.array([-1e4, -800.0, -100.0, 0.0, 100.0, 800.0, 1e4], dtype=dtype)
    with np.errstate(all="raise"):  # any overflow/invalid/divide would raise
        a = act.forward(z)
        d = act.derivative(z)
        d_from_a = act.derivative(z, a)
    assert np.isfinite(a).all() and np.isfinite(d).all() and np.isfinite(d_from_a).all()


def test_sigmoid_saturates_to_exact_limits_and_is_symmetric():
    z = np.array([-1e4, -1000.0, 1000.0, 1e4])
    np.testing.assert_array_equal(initlib.sigmoid.forward(z), [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(initlib.sigmoid.derivative(z), [0.0, 0.0, 0.0, 0.0])
    z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(initlib.sigmoid.forward(-z), 1 - initlib.sigmoid.forward(z), atol=1e-15)
    # far in the negative tail the value keeps full relative precision: exp(z)
    assert initlib.sigmoid.forward(np.array([-700.0]))[0] == pytest.approx(math.exp(-700), rel=1e-12)


# --- gains ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, param, expected",
    [
        ("linear", None, 1.0),
        ("identity", None, 1.0),
        ("conv1d", None, 1.0),
        ("conv2d", None, 1.0),
        ("conv3d", None, 1.0),
        ("conv_transpose1d", None, 1.0),
        ("conv_transpose2d", None, 1.0),
        ("conv_transpose3d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, math.sqrt(2)),
        ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
        ("leaky_relu", 0, math.sqrt(2)),
        ("leaky_relu", 1, 1.0),
        ("selu", None, 0.75),
    ],
)
def test_gain_table_matches_pytorch(name, param, expected):
    assert gain(name, param) == pytest.approx(expected, rel=1e-15)


def test_gain_of_activation_object_is_its_gain():
    assert gain(get_activation("leaky_relu", 0.2)) == pytest.approx(math.sqrt(2 / 1.04))
    assert gain(initlib.relu) == math.sqrt(2)


def test_relu_gain_restores_second_moment():
    # E[relu(z)^2] = Var(z)/2 for symmetric z: gain^2 = 2 undoes the halving
    assert gain("relu") ** 2 * gaussian_expectation(lambda z: np.maximum(z, 0) ** 2) == pytest.approx(1, abs=1e-8)
    s = 0.2
    leaky = gaussian_expectation(lambda z: np.where(z > 0, z, s * z) ** 2)
    assert gain("leaky_relu", s) ** 2 * leaky == pytest.approx(1, abs=1e-8)


def test_tanh_gain_explanation_in_docstring_holds():
    """gain('tanh') = 5/3 is empirical; check the numbers its docstring gives."""
    def second_moment(q):
        return gaussian_expectation(lambda z: np.tanh(z) ** 2, q=q)

    # E[tanh(z)^2] for z ~ N(0, 1), and the gain making q = 1 a fixed point
    assert second_moment(1.0) == pytest.approx(0.3943, abs=1e-4)
    fixed_point_gain = 1 / math.sqrt(second_moment(1.0))
    assert fixed_point_gain == pytest.approx(1.593, abs=1e-3)
    assert gain("tanh") > fixed_point_gain  # 5/3 is a little larger
    # with 5/3 the variance map q -> g^2 E[tanh(sqrt(q) z)^2] settles at q* ~ 1.18
    q = 1.0
    for _ in range(60):
        q = gain("tanh") ** 2 * second_moment(q)
    assert q == pytest.approx(1.18, abs=0.01)
    assert gain("tanh") ** 2 * second_moment(q) == pytest.approx(q, abs=1e-6)
    # with gain 1 the variance decays toward 0 with depth
    q = 1.0
    for _ in range(30):
        q = 1.0**2 * second_moment(q)
    assert q < 0.1


def test_tanh_gain_explanation_by_monte_carlo():
    # the same fixed-point gain measured on samples, as in PyTorch issue #24991
    z = np.random.default_rng(0).standard_normal(200_000)
    measured = 1 / np.sqrt(np.mean(np.tanh(z) ** 2))
    assert measured == pytest.approx(1.5925, abs=0.01)


def test_selu_constants_make_standard_normal_a_fixed_point():
    # Klambauer et al. 2017: z ~ N(0, 1) -> selu(z) has mean 0 and variance 1
    mean = gaussian_expectation(initlib.selu.forward)
    second = gaussian_expectation(lambda z: initlib.selu.forward(z) ** 2)
    assert mean == pytest.approx(0, abs=1e-7)
    assert second == pytest.approx(1, abs=1e-7)


# --- errors ---------------------------------------------------------------------
def test_unknown_activation_lists_names_and_closest_match():
    with pytest.raises(ValueError, match=r"Unknown activation 'rellu'\. Did you mean 'relu'\? Valid names: linear, sigmoid, tanh, relu, leaky_relu, selu"):
        get_activation("rellu")


def test_unknown_activation_without_close_match():
    with pytest.raises(ValueError, match=r"Unknown activation 'softplus'\. Valid names: linear"):
        get_activation("softplus")


def test_activation_of_wrong_type():
    with pytest.raises(TypeError, match=r"activation must be a name \(str\) or an Activation, got 3 of type int"):
        get_activation(3)


def test_param_for_activation_without_param():
    with pytest.raises(ValueError, match=r"activation 'tanh' takes no parameter, got param=0\.2"):
        get_activation("tanh", 0.2)


def test_param_with_activation_object():
    with pytest.raises(ValueError, match=r"got an Activation .* and param=0\.3; drop param="):
        get_activation(get_activation("leaky_relu", 0.2), 0.3)
    with pytest.raises(ValueError, match=r"gain\(\) got an Activation .* and param=0\.3"):
        gain(get_activation("leaky_relu", 0.2), 0.3)


@pytest.mark.parametrize("bad", ["0.2", True, [0.2]])
def test_slope_of_wrong_type(bad):
    with pytest.raises(TypeError, match=r"leaky_relu's param \(the negative slope\) must be a real number, got"):
        get_activation("leaky_relu", bad)
    with pytest.raises(TypeError, match=r"must be a real number"):
        gain("leaky_relu", bad)


@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_slope_not_finite(bad):
    with pytest.raises(ValueError, match=r"negative slope\) must be finite, got"):
        gain("leaky_relu", bad)


def test_unknown_nonlinearity_for_gain():
    with pytest.raises(ValueError, match=r"Unknown nonlinearity 'tahn'\. Did you mean 'tanh'\? Valid names: linear, identity, conv1d"):
        gain("tahn")


def test_nonlinearity_of_wrong_type():
    with pytest.raises(TypeError, match=r"nonlinearity must be a name \(str\) or an Activation, got None"):
        gain(None)


def test_gain_param_for_nonlinearity_without_param():
    with pytest.raises(ValueError, match=r"'relu' takes no parameter, got param=0\.2\. Only 'leaky_relu'"):
        gain("relu", 0.2)


def test_all_public_names_exist():
    from initlib import activations

    for name in activations.__all__:
        assert hasattr(initlib, name), name
