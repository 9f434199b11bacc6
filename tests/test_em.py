"""The EM core (:mod:`sklearn_gum._em`): options, the outlier decision, one EM
state, the choice among runs and the warnings.

Unit tests of each piece on small residual arrays, with the expected numbers
from :mod:`sklearn_gum._mixture` (tested against scipy in test_mixture.py)
or by hand. They were written against the mutation run of issue 12
(benchmarks/results/mutation.md).
"""

import dataclasses
import re
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression

from sklearn_gum import GUMRegressor, _calibration, _em, _mixture, _residual_em
from sklearn_gum.exceptions import DegenerateMixtureWarning

# The core runs warning-free unless it means to warn.
pytestmark = pytest.mark.filterwarnings("error")

# 200 residuals of two outputs with standard deviations 1 and 2; 20 gross
# outliers in output 0 only
RNG = np.random.RandomState(0)
CLEAN = RNG.normal(size=(200, 2)) * [1.0, 2.0]
DIRTY = CLEAN.copy()
DIRTY[:20, 0] += RNG.uniform(20, 60, size=20)
WEIGHTS = RNG.randint(1, 3, size=200).astype(float)
PER_OUTPUT = [np.array([0]), np.array([1])]
# the Gaussian-uniform decision (outlier_model="auto" also tries the
# contaminated normal: see the tests of the choice below)
OPTIONS = _em.EMOptions(reg_covar=1e-3, outlier_model="uniform").scaled(DIRTY, WEIGHTS)


def _assert_params_equal(actual, expected):
    assert_allclose(actual.inlier_prior, expected.inlier_prior, rtol=1e-12)
    assert_allclose(actual.covariance, expected.covariance, rtol=1e-12)
    assert_allclose(actual.log_volume, expected.log_volume, rtol=1e-12)


# ------------------------------------------------------------------ options


def test_options_are_read_from_the_estimator():
    gum = GUMRegressor(covariance_type="diag", uniform="range", reg_covar=1e-3,
                       threshold=0.3, tol=1e-5, max_iter=7, outlier_component="always",
                       outlier_model="gaussian")
    assert _em.EMOptions.of(gum) == _em.EMOptions(
        covariance_type="diag", uniform="range", reg_covar=1e-3, threshold=0.3,
        tol=1e-5, max_iter=7, outlier_component="always", outlier_model="gaussian",
        scale=None,
    )


def test_scaled_options_keep_the_settings_and_add_the_residual_scale():
    options = _em.EMOptions(covariance_type="spherical", uniform=3.0, reg_covar=0.5)
    scaled = options.scaled(DIRTY, WEIGHTS)
    assert options.scale is None
    assert_allclose(scaled.scale, _mixture.residual_scale(DIRTY, WEIGHTS))
    assert dataclasses.replace(scaled, scale=None) == options
    # the targets set the floor of an exact fit's scale (eps * 13, eps)
    targets = np.array([[2.0, 1.0], [4.0, -1.0]])
    exact = options.scaled(np.zeros((2, 2)), np.array([1.0, 3.0]), targets)
    assert_allclose(exact.scale, np.finfo(float).eps * np.array([13.0, 1.0]))
    # and the variance floor: two distinct values are no grid, rounding only
    assert_allclose(exact.floor, np.finfo(float).eps * np.array([13.0, 1.0]))
    assert options.mixture_for([0, 1]) == dict(
        covariance_type="spherical", uniform=3.0, reg_covar=0.5, floor=0.0
    )
    kwargs = scaled.mixture_for([1])
    assert (kwargs["covariance_type"], kwargs["uniform"]) == ("spherical", 3.0)
    assert_allclose(kwargs["reg_covar"], 0.5 * scaled.scale[[1]])


# ------------------------------------------------------------ the decision


def test_decision_keeps_the_uniform_of_the_group_with_outliers_only():
    decision = _em.decide_outliers(DIRTY, WEIGHTS, PER_OUTPUT, OPTIONS)
    # the weights scaled to a mean of one: the decision ignores their scale
    unit = WEIGHTS * len(WEIGHTS) / WEIGHTS.sum()
    expected = [
        _residual_em.residual_evidence(DIRTY[:, columns], unit, max_iter=100, tol=1e-4,
                                   **OPTIONS.mixture_for(columns))
        for columns in PER_OUTPUT
    ]
    # the NEC evidence decides: the likelihood ratios are far from the table's
    assert_allclose(decision.evidence, [mixture.evidence for mixture in expected])
    scaled = _em.decide_outliers(DIRTY, 1e-3 * WEIGHTS, PER_OUTPUT, OPTIONS)
    assert_allclose(scaled.evidence, decision.evidence, rtol=1e-4)
    assert decision.evidence[0] > 100 and decision.evidence[1] <= 0
    assert_array_equal(decision.keep, [True, False])
    assert_array_equal(decision.forced, [False, False])
    for mixture, reference in zip(decision.mixtures, expected):
        _assert_params_equal(mixture.params, reference.params)
        assert_allclose(mixture.offset, reference.offset)
    assert decision.n_iter == max(mixture.n_iter for mixture in expected)
    assert decision.converged
    # the offset moves the kept group only
    assert_allclose(decision.offset(PER_OUTPUT), [expected[0].offset[0], 0.0])


@pytest.mark.parametrize("covariance_type, parameters", [("full", 8 + 36), ("diag", 8 + 8)])
def test_a_uniform_whose_gaussian_holds_fewer_rows_than_its_parameters_is_refused(
        covariance_type, parameters):
    # the residuals of a net that has learnt nothing of 8 targets uniform in
    # a box: the box explains them, the Gaussian sits on a handful of rows
    residuals = np.random.default_rng(0).uniform(-1, 1, size=(3000, 8))
    weights = np.ones(3000)
    options = _em.EMOptions(covariance_type=covariance_type, outlier_model="uniform")
    decision = _em.decide_outliers(residuals, weights, [np.arange(8)], options)
    mixture = _residual_em.residual_evidence(residuals, weights, max_iter=100, tol=1e-4,
                                             **options.mixture_for(np.arange(8)))
    held = mixture.params.inlier_prior * 3000
    assert mixture.evidence > 1000 and held <= parameters  # what was kept before
    assert_allclose(decision.evidence, [held - parameters])
    assert not decision.keep[0]
    excess = _calibration.inlier_excess(mixture, 3000, 8, covariance_type)
    assert_allclose(excess, held - parameters)
    # a centre and one variance: 9 parameters
    assert_allclose(_calibration.inlier_excess(mixture, 3000, 8, "spherical"), held - 9)


def test_decision_passes_max_iter_and_tol_to_the_em():
    """``max_iter`` bounds the decision's EM; ``tol`` applies where it is
    stricter than DECISION_TOL nats of the total log-likelihood."""
    options = _em.EMOptions(max_iter=1, reg_covar=1e-3).scaled(DIRTY, WEIGHTS)
    decision = _em.decide_outliers(DIRTY, WEIGHTS, PER_OUTPUT, options)
    assert (decision.n_iter, decision.converged) == (1, False)
    loose = _em.EMOptions(tol=np.inf, reg_covar=1e-3, outlier_model="uniform")
    loose = _em.decide_outliers(DIRTY, WEIGHTS, PER_OUTPUT, loose.scaled(DIRTY, WEIGHTS))
    decision = _em.decide_outliers(DIRTY, WEIGHTS, PER_OUTPUT, OPTIONS)
    assert loose.n_iter == decision.n_iter > 1
    strict = dataclasses.replace(OPTIONS, tol=1e-12)
    assert _em.decide_outliers(DIRTY, WEIGHTS, PER_OUTPUT, strict).n_iter > decision.n_iter


def test_a_forced_uniform_starts_from_the_gaussian():
    options = _em.EMOptions(outlier_component="always", reg_covar=1e-3,
                            outlier_model="uniform").scaled(CLEAN, WEIGHTS)
    decision = _em.decide_outliers(CLEAN, WEIGHTS, PER_OUTPUT, options)
    assert (decision.evidence <= 0).all()
    assert_array_equal(decision.keep, [True, True])
    assert_array_equal(decision.forced, [True, True])
    for columns, mixture in zip(PER_OUTPUT, decision.mixtures):
        params, offset = _residual_em.gaussian_start(
            CLEAN[:, columns], WEIGHTS, **options.mixture_for(columns)
        )
        _assert_params_equal(mixture.params, params)
        assert_allclose(mixture.offset, offset)


def test_an_imposed_decision_is_kept():
    """The other starts of ``n_init`` keep the first start's decision."""
    decision = _em.decide_outliers(DIRTY, WEIGHTS, PER_OUTPUT, OPTIONS, keep=[0, 1])
    assert_array_equal(decision.keep, [False, True])
    # group 1 has no evidence: kept against it, it starts from the Gaussian
    assert_array_equal(decision.forced, [False, True])
    assert decision.keep.dtype == decision.forced.dtype == bool
    params, offset = _residual_em.gaussian_start(
        DIRTY[:, [1]], WEIGHTS, **OPTIONS.mixture_for(PER_OUTPUT[1])
    )
    _assert_params_equal(decision.mixtures[1].params, params)
    reference = _residual_em.residual_evidence(
        DIRTY[:, [0]], WEIGHTS, **OPTIONS.mixture_for(PER_OUTPUT[0])
    )
    _assert_params_equal(decision.mixtures[0].params, reference.params)
    assert_allclose(decision.offset(PER_OUTPUT), [0.0, offset[0]])


@pytest.mark.parametrize(
    "outlier_component, keep, forced",
    [
        ("auto", [True, False, False, True], [False, False, False, False]),
        ("always", [True, True, True, True], [False, True, True, False]),
    ],
)
def test_decision_rule_at_the_evidence_boundary(monkeypatch, outlier_component, keep,
                                                forced):
    """Keep a uniform exactly when the calibrated evidence is positive; an
    evidence of 0 kept by ``"always"`` is forced. The likelihood ratios are
    far above their threshold: the NEC evidence decides."""
    evidence = iter([0.5, 0.0, -0.5, 2.0])
    n_iter = iter([3, 5, 1, 2])
    converged = iter([True, True, False, True])

    def residual_evidence(residuals, sample_weight, **kwargs):
        params = _mixture.GroupParams(0.9, np.eye(1), 0.0)
        return _residual_em.ResidualMixture(next(evidence), params, np.ones(1),
                                        np.ones(len(residuals)), next(n_iter),
                                        next(converged), likelihood_ratio=1e3)

    monkeypatch.setattr(_residual_em, "residual_evidence", residual_evidence)
    groups = [np.array([k]) for k in range(4)]
    options = _em.EMOptions(outlier_component=outlier_component, outlier_model="uniform")
    residuals = np.c_[DIRTY, CLEAN]
    decision = _em.decide_outliers(residuals, WEIGHTS, groups, options)
    assert_array_equal(decision.evidence, [0.5, 0.0, -0.5, 2.0])
    assert_array_equal(decision.keep, keep)
    assert_array_equal(decision.forced, forced)
    assert (decision.n_iter, decision.converged) == (5, False)


def test_the_margin_is_per_weighted_entry():
    """``min_evidence`` per weighted sample and per column of the group: 10
    weighted rows (two of zero weight do not count), margins 1, 2 and 3."""
    options = _em.EMOptions(min_evidence=0.1)
    weights = np.r_[np.ones(10), 0.0, 0.0]
    groups = [[0], [1, 2], [3, 4, 5]]
    assert_array_equal(_em.clears_margin([1.5, 1.5, 3.5], weights, options, groups),
                       [True, False, True])
    assert_array_equal(_em.clears_margin([1.0, 2.0, 3.0], weights, options, groups),
                       [False, False, False])


def test_decision_offset_puts_each_kept_centre_on_its_columns():
    groups = [np.array([2, 0]), np.array([1]), np.array([3])]
    mixtures = [SimpleNamespace(offset=np.array([5.0, 6.0])),
                SimpleNamespace(offset=np.array([7.0])),
                SimpleNamespace(offset=np.array([8.0]))]
    decision = _em.Decision(np.zeros(3), np.array([True, True, False]), mixtures,
                            n_iter=1, converged=True)
    assert_array_equal(decision.offset(groups), [6.0, 7.0, 5.0, 0.0])


# ------------------------------------------------------- groups and blocks


def test_score_groups_is_the_e_step_of_each_group():
    groups = [np.array([1]), np.array([0])]
    params = [_mixture.GroupParams(1.0, np.array([[4.0]]), np.inf),
              _mixture.GroupParams(0.8, np.array([[1.0]]), np.log(100.0))]
    resp, log_lik = _em.score_groups(DIRTY, groups, params)
    assert resp.shape == log_lik.shape == (200, 2)
    for k, (columns, group_params) in enumerate(zip(groups, params)):
        expected_resp, expected_log_lik = _mixture.e_step(DIRTY[:, columns], group_params)
        assert_allclose(resp[:, k], expected_resp)
        assert_allclose(log_lik[:, k], expected_log_lik)


def test_block_covariance_places_each_group_and_zeros_across():
    groups = [np.array([0, 2]), np.array([1])]
    params = [_mixture.GroupParams(0.9, np.array([[1.0, 0.5], [0.5, 2.0]]), 0.0),
              _mixture.GroupParams(0.9, np.array([[3.0]]), 0.0)]
    assert_array_equal(
        _em.block_covariance(params, groups, 3),
        [[1.0, 0.0, 0.5], [0.0, 3.0, 0.0], [0.5, 0.0, 2.0]],
    )


# ------------------------------------------------------------- the EM state


def test_a_new_state_has_no_likelihood_yet():
    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, [1, 0])
    assert_array_equal(state.mixture, [True, False])
    assert state.mixture.dtype == bool
    assert state.params is None and state.resp is None and state.log_lik is None
    assert state.log_likelihood == -np.inf
    assert (state.n_iter, state.converged, state.history) == (0, False, [])
    assert state.scorer is _em.score_groups
    assert state.groups is PER_OUTPUT and state.sample_weight is WEIGHTS
    assert state.options is OPTIONS


def test_start_from_a_decision_takes_its_mixtures():
    decision = _em.decide_outliers(DIRTY, WEIGHTS, PER_OUTPUT, OPTIONS)
    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, decision.keep)
    centred = DIRTY - decision.offset(PER_OUTPUT)
    resp = state.start(centred, decision=decision)
    assert state.params[0] is decision.mixtures[0].params
    gaussian = _mixture.gaussian_params(centred[:, [1]], WEIGHTS, "full",
                                        OPTIONS.mixture_for([1])["reg_covar"])
    _assert_params_equal(state.params[1], gaussian)
    expected_resp, expected_log_lik = _em.score_groups(centred, PER_OUTPUT, state.params)
    assert_array_equal(resp, expected_resp)
    assert_array_equal(state.resp, expected_resp)
    assert_array_equal(state.log_lik, expected_log_lik)
    # flagged: the 20 outliers (weighted share of inliers, averaged over groups)
    assert (resp[:20, 0] < 0.01).all() and (resp[:, 1] == 1).all()
    share = np.average(((1 - resp) < 0.5).mean(axis=1), weights=WEIGHTS)
    mean = np.average(expected_log_lik.sum(axis=1), weights=WEIGHTS)
    assert_allclose(state.log_likelihood, mean)
    # without degrees of freedom the objective is the log-likelihood
    assert_allclose(state.history, [(mean, share, mean)])
    assert state.n_iter == 0


def test_a_gaussian_group_of_several_columns_keeps_their_correlation():
    residuals = np.random.RandomState(1).multivariate_normal(
        [0, 0], [[1.0, 0.8], [0.8, 1.0]], size=200
    )
    state = _em.EMState([np.array([0, 1])], WEIGHTS, OPTIONS, [False])
    resp = state.start(residuals)
    expected = _mixture.weighted_covariance(residuals, WEIGHTS, "full",
                                            OPTIONS.mixture_for([0, 1])["reg_covar"])
    assert_allclose(state.params[0].covariance, expected)
    assert state.params[0].covariance[0, 1] > 0.6
    assert_array_equal(resp, 1.0)


def test_start_without_a_decision_uses_the_best_half():
    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, [True, True])
    state.start(DIRTY)
    for columns, params in zip(PER_OUTPUT, state.params):
        expected = _residual_em.robust_start(DIRTY[:, columns], WEIGHTS,
                                         **OPTIONS.mixture_for(columns))
        _assert_params_equal(params, expected)


def test_start_fits_on_the_host_copy_and_scores_on_the_device_array():
    calls = []

    def scorer(residuals, groups, params):
        calls.append(residuals)
        return _em.score_groups(DIRTY, groups, params)

    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, [True, False], scorer=scorer)
    device = object()  # stands for a tensor the numpy maths cannot read
    state.start(device, host=DIRTY)
    assert calls == [device]
    expected = _residual_em.robust_start(DIRTY[:, [0]], WEIGHTS, **OPTIONS.mixture_for([0]))
    _assert_params_equal(state.params[0], expected)


def test_m_step_updates_each_group_from_its_responsibilities():
    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, [True, False])
    state.start(DIRTY)
    resp = state.resp.copy()
    state.m_step(DIRTY, dof=3.0)
    for k, (columns, mixture) in enumerate(zip(PER_OUTPUT, [True, False])):
        expected = _mixture.m_step(DIRTY[:, columns], resp[:, k], WEIGHTS,
                                   mixture=mixture, dof=3.0,
                                   **OPTIONS.mixture_for(columns))
        _assert_params_equal(state.params[k], expected)
    assert state.params[1].inlier_prior == 1.0
    # dof defaults to no correction
    state.m_step(DIRTY)
    expected = _mixture.m_step(DIRTY[:, [1]], resp[:, 1], WEIGHTS, mixture=False,
                               **OPTIONS.mixture_for([1]))
    _assert_params_equal(state.params[1], expected)


def test_iterate_counts_e_steps_and_checks_the_change_in_likelihood():
    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, [True, False])
    state.start(DIRTY)
    state.m_step(DIRTY)
    assert not state.iterate(3 * DIRTY)  # the likelihood moved: not converged
    assert (state.n_iter, state.converged) == (1, False)
    assert state.iterate(3 * DIRTY)  # the same residuals: no change
    assert (state.n_iter, state.converged) == (2, True)
    # without the check the flag stays, whatever the change
    assert state.iterate(DIRTY, check=False)
    assert (state.n_iter, state.converged) == (3, True)
    assert len(state.history) == 4
    likelihoods = [log_likelihood for log_likelihood, _, _ in state.history]
    assert likelihoods[1] == likelihoods[2] != likelihoods[0]
    assert_allclose(likelihoods[3], state.log_likelihood)


def test_iterate_uses_the_tolerance_of_the_options():
    options = _em.EMOptions(tol=np.inf, reg_covar=1e-3)
    state = _em.EMState(PER_OUTPUT, WEIGHTS, options, [True, False])
    state.start(DIRTY)
    assert state.iterate(3 * DIRTY)


def test_state_covariance_is_block_diagonal():
    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, [True, False])
    state.start(DIRTY)
    covariance = state.covariance()
    assert_array_equal(covariance, _em.block_covariance(state.params, PER_OUTPUT, 2))
    assert covariance[0, 1] == 0 and covariance[1, 1] > 0


def test_result_freezes_the_run():
    decision = _em.decide_outliers(DIRTY, WEIGHTS, PER_OUTPUT, OPTIONS)
    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, decision.keep)
    state.start(DIRTY - decision.offset(PER_OUTPUT), decision=decision)
    state.m_step(DIRTY)
    state.iterate(DIRTY)
    estimator, whitening = object(), np.eye(2)
    result = state.result(estimator, decision, whitening=whitening)
    assert result.estimator is estimator and result.whitening is whitening
    assert result.params == state.params and result.params is not state.params
    assert result.resp is state.resp and result.log_lik is state.log_lik
    assert result.log_likelihood == state.log_likelihood
    assert result.groups is PER_OUTPUT
    assert_array_equal(result.has_outliers, [True, False])
    assert result.has_outliers.dtype == bool
    assert_array_equal(result.evidence, decision.evidence)
    assert (result.n_iter, result.converged) == (1, state.converged)
    assert_array_equal(result.history["log_likelihood"], [h[0] for h in state.history])
    assert_array_equal(result.history["inlier_share"], [h[1] for h in state.history])
    assert result.weighting == "soft"
    # a driver can report the decision's own iterations instead
    assert state.iterate(DIRTY)
    other = state.result(None, decision, weighting="hard", n_iter=7, converged=False)
    assert (other.n_iter, other.converged, other.weighting) == (7, False, "hard")
    assert other.whitening is None


def test_result_of_integer_decision_arrays_has_typed_attributes():
    decision = _em.Decision(evidence=[1, -2], keep=[1, 0], mixtures=[], n_iter=1,
                            converged=True)
    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, [True, False])
    state.start(DIRTY)
    result = state.result(None, decision)
    assert result.has_outliers.dtype == bool and result.evidence.dtype == float
    assert_array_equal(result.has_outliers, [True, False])


# ------------------------------------------------------------ best of runs


def test_best_run_has_the_highest_log_likelihood_first_among_equals():
    runs = [SimpleNamespace(log_likelihood=value) for value in (-3.0, -1.0, -2.0, -1.0)]
    assert _em.best_run(runs) is runs[1]
    assert _em.best_run(runs[2:]) is runs[3]


# A second line under 35 of 100 samples; a start fitted to it alone. From
# there one EM run stays on the minority line (mean log-likelihood -2.73 per
# sample); the random restarts of n_init reach the majority (-1.94).
_LINES = np.random.RandomState(0)
X_LINES = _LINES.normal(size=(100, 2))
Y_LINES = X_LINES @ [1.0, -2.0] + 0.3 * _LINES.normal(size=100)
MINORITY = np.arange(100) < 35
Y_LINES[MINORITY] = X_LINES[MINORITY] @ [-4.0, 3.0] + 5 + 0.3 * _LINES.normal(size=35)
BAD_START = LinearRegression().fit(X_LINES[MINORITY], Y_LINES[MINORITY])


def test_n_init_keeps_the_best_run_not_the_first_or_the_worst(monkeypatch):
    one = GUMRegressor(init=BAD_START).fit(X_LINES, Y_LINES)
    assert_allclose(one.estimator_.coef_, [-4.0, 3.0], atol=0.1)
    runs = []

    def recording_best_run(results):  # the runs come one by one: each once
        runs.extend(run for run in results if not any(run is seen for seen in runs))
        return best_run(results)

    best_run = _em.best_run
    monkeypatch.setattr(_em, "best_run", recording_best_run)
    three = GUMRegressor(init=BAD_START, n_init=3, random_state=0).fit(X_LINES, Y_LINES)
    likelihoods = [run.log_likelihood for run in runs]
    # the first run is the single-start fit; the others find the majority
    assert len(runs) == 3
    assert_allclose(likelihoods[0], one.log_likelihood_)
    assert max(likelihoods) > min(likelihoods) + 0.5
    assert three.log_likelihood_ == max(likelihoods)
    assert three.log_likelihood_ > one.log_likelihood_ + 0.5
    assert_allclose(three.estimator_.coef_, [1.0, -2.0], atol=0.1)
    # every majority sample is an inlier; of the minority, only the few that
    # lie where the two lines cross are not flagged
    assert three.inlier_mask_[~MINORITY].all()
    assert (~three.inlier_mask_[MINORITY]).sum() >= 30


# ----------------------------------------------------------------- warnings


def _result(priors, resp, keep, converged=True, n_iter=1):
    params = [_mixture.GroupParams(prior, np.eye(1), 0.0) for prior in priors]
    return _em.EMResult(
        estimator=None, whitening=None, params=params, resp=np.asarray(resp),
        log_lik=np.zeros(np.shape(resp)), log_likelihood=0.0,
        groups=[np.array([k]) for k in range(len(priors))],
        has_outliers=np.asarray(keep), evidence=np.ones(len(priors)), n_iter=n_iter,
        converged=converged, history={},
    )


def test_convergence_warning_only_at_max_iter_without_convergence():
    message = "EM did not converge in max_iter=5 iterations. Increase max_iter."
    for n_iter in (5, 6):
        with pytest.warns(ConvergenceWarning, match=f"^{re.escape(message)}$"):
            _em.warn_if_not_converged(
                _result([0.9], np.ones((3, 1)), [True], False, n_iter), 5,
                "Increase max_iter.",
            )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # stopped early by the driver, or converged at the last iteration
        _em.warn_if_not_converged(_result([0.9], np.ones((3, 1)), [True], False, 4), 5, "")
        _em.warn_if_not_converged(_result([0.9], np.ones((3, 1)), [True], True, 5), 5, "")


def test_collapse_warning_names_the_mixture_and_the_remedies():
    message = (
        "The inlier share of the mixture collapsed to 0.01: the uniform explains "
        "every sample. The starting fit may be far from the inliers: try "
        "init='subsets' or a robust init regressor, or outlier_component='auto'."
    )
    with pytest.warns(DegenerateMixtureWarning, match=f"^{re.escape(message)}$"):
        _em.warn_if_degenerate(_result([0.01], np.full((5, 1), 0.01), [True]))


def test_undecided_warning_names_the_mixture_and_the_remedies():
    message = (
        "Every outlier probability of the mixture is within 0.05 of 0.5: the "
        "Gaussian and the uniform overlap everywhere and cannot be told apart. "
        "Lower reg_covar, pass a larger fixed uniform volume, or use "
        "outlier_component='auto'."
    )
    resp = np.array([[0.46], [0.5], [0.54]])
    with pytest.warns(DegenerateMixtureWarning, match=f"^{re.escape(message)}$"):
        _em.warn_if_degenerate(_result([0.5], resp, [True]))


def test_degenerate_warnings_name_the_group_and_skip_gaussian_groups():
    collapsed = np.full((5, 1), 1e-6)
    resp = np.c_[collapsed, collapsed, np.full((5, 1), 0.52)]
    with pytest.warns(DegenerateMixtureWarning) as record:
        _em.warn_if_degenerate(_result([1e-6, 1e-6, 0.5], resp, [False, True, True]))
    messages = [str(warning.message) for warning in record]
    assert len(messages) == 2
    assert messages[0].startswith("The inlier share of group 1's mixture collapsed")
    assert messages[1].startswith("Every outlier probability of group 2's mixture")


def test_decided_mixtures_do_not_warn():
    # one probability just outside the margin decides the mixture
    resp = np.array([[0.5], [0.5], [0.56]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _em.warn_if_degenerate(_result([0.011], resp, [True]))
        _em.warn_if_degenerate(_result([0.5], resp, [True]))


# Written against the mutation run of the issue-20 round
# (benchmarks/results/mutation.md): each names the mutants it kills.


@pytest.mark.parametrize("model, exact, uniform, expected", [
    ("auto", True, "moments", "auto"),     # least squares: the data choose
    ("auto", False, "moments", "uniform"),  # a flexible regressor or a net
    ("auto", True, 5.0, "uniform"),        # a fixed volume asks for the uniform
    ("gaussian", False, "moments", "gaussian"),
])
def test_resolve_outlier_model(model, exact, uniform, expected):
    """Mutants: the test of "auto" inverted or misspelt, ``exact or``, the
    returned model lost or misspelt."""
    options = _em.EMOptions(outlier_model=model, uniform=uniform)
    resolved = _em.resolve_outlier_model(options, exact)
    assert resolved.outlier_model == expected
    assert dataclasses.replace(resolved, outlier_model=model) == options


def test_far_inlier_resp_is_zero_beyond_float64_in_its_own_group_only():
    """Mutants: the overflow (1e200 squared) or the ``-inf - -inf`` of a
    contaminated normal left to warn, a NaN responsibility kept, one far
    entry zeroing its whole group, 1 instead of 0."""
    groups = PER_OUTPUT
    params = [_mixture.GroupParams(0.8, np.eye(1), np.log(10.0)),
              _mixture.GroupParams(0.8, np.eye(1), np.inf, 4.0)]
    residuals = np.array([[0.0, 0.0], [np.inf, 0.5], [1e200, 1e200], [0.3, -np.inf]])
    resp = _em.far_inlier_resp(residuals, groups, params)
    near, _ = _em.score_groups(np.array([[0.0, 0.0], [0.3, 0.5]]), groups, params)
    assert_allclose(resp, [[near[0, 0], near[0, 1]], [0.0, near[1, 1]], [0.0, 0.0],
                           [near[1, 0], 0.0]])
    assert np.all(near > 0.5)


def _fake_choice(monkeypatch, calibrated, nec, excess):
    """``_choose_model`` with both candidates' evidence set by hand:
    ``calibrated`` and ``nec`` per model (uniform, gaussian), the uniform's
    ``inlier_excess``."""
    def residual_evidence(residuals, weights, outlier_model, **kwargs):
        params = _mixture.GroupParams(0.9, np.eye(1), 0.0,
                                      4.0 if outlier_model == "gaussian" else np.inf)
        k = int(outlier_model == "gaussian")
        return _residual_em.ResidualMixture(nec[k], params, np.zeros(1),
                                            np.ones(len(residuals)), 1, True,
                                            n_columns=1)

    monkeypatch.setattr(_residual_em, "residual_evidence", residual_evidence)
    monkeypatch.setattr(_em, "calibrated_evidence", lambda mixture, *args, **kwargs:
                        calibrated[int(np.isfinite(mixture.params.outlier_scale))])
    monkeypatch.setattr(_em, "inlier_excess", lambda *args: excess)
    monkeypatch.setattr(_em, "_gaussian_is_better", lambda *args: False)
    evidence, mixture = _em._choose_model(
        DIRTY[:, :1], WEIGHTS, 200, ["uniform", "gaussian"], OPTIONS,
        OPTIONS.mixture_for([0]))
    return evidence, "gaussian" if np.isfinite(mixture.params.outlier_scale) else "uniform"


@pytest.mark.parametrize("calibrated, nec, excess, expected", [
    ([2.0, -1.0], [1.0, 1.0], 0.5, (2.0, "uniform")),    # a positive excess leaves it
    ([2.0, -1.0], [1.0, 1.0], 0.0, (0.0, "uniform")),    # none caps it at 0: refused
    ([-1.0, 0.0], [1.0, 1.0], 1.0, (-1.0, "uniform")),   # 0 is no support
    ([-1.0, 0.5], [1.0, 1.0], 1.0, (0.5, "gaussian")),   # 0.5 is
    ([1.0, 1.0], [0.5, -1.0], 1.0, (1.0, "uniform")),    # both: the uniform's NEC
    ([1.0, 1.0], [0.0, 1.0], 1.0, (1.0, "gaussian")),    # undecided NEC gives way
])
def test_choose_model_at_its_boundaries(monkeypatch, calibrated, nec, excess, expected):
    """Mutants: the inlier excess tested at >= 0 or > 1; support at >= 0 or
    > 1; the second candidate's NEC read for the uniform's, or the NEC at
    >= 0 or > 1."""
    assert _fake_choice(monkeypatch, calibrated, nec, excess) == expected


def test_gaussian_is_better_reads_the_residuals_about_each_centre():
    """Mutant: the centre added instead of subtracted. Contaminated normal
    residuals (30% of sd 5) about 5."""
    rng = np.random.RandomState(0)
    residuals = (np.where(rng.uniform(size=2000) < 0.7, 1.0, 5.0)
                 * rng.normal(size=2000) + 5.0)[:, None]
    weights = np.ones(2000)
    options = dict(covariance_type="full", uniform="moments", reg_covar=1e-6)
    mixtures = [_residual_em.residual_evidence(residuals, weights, outlier_model=model,
                                               **options)
                for model in ("uniform", "gaussian")]
    assert _em._gaussian_is_better(residuals, weights, *[(1.0, m) for m in mixtures])


def test_decide_outliers_takes_the_margin_over_the_weighted_rows():
    """Mutant: the margin over no rows. 20 gross outliers in output 0
    clear no margin of 1e3 per entry."""
    options = dataclasses.replace(OPTIONS, min_evidence=1e3)
    decision = _em.decide_outliers(DIRTY, WEIGHTS, PER_OUTPUT, options)
    assert decision.evidence[0] > 0 and not decision.keep.any()


def test_a_forced_contaminated_normal_starts_as_one():
    """Mutants: the forced start of a group whose candidate is the
    contaminated normal made a uniform (its model dropped or replaced)."""
    options = dataclasses.replace(OPTIONS, outlier_model="gaussian",
                                  outlier_component="always")
    decision = _em.decide_outliers(CLEAN, WEIGHTS, PER_OUTPUT, options)
    assert decision.forced.all()
    assert [mixture.params.outlier_scale for mixture in decision.mixtures] == [9.0, 9.0]


def test_switch_passes_the_outlier_model_and_the_floor():
    """Mutants: ``switch`` drops its ``outlier_model``, or the floor of a
    Gaussian group."""
    floored = dataclasses.replace(OPTIONS, floor=np.array([500.0, 0.0]))
    state = _em.EMState(PER_OUTPUT, WEIGHTS, floored, [True, False])
    state.params = [None, None]
    state.switch(0, DIRTY, True, outlier_model="gaussian")
    state.switch(1, DIRTY, False)
    assert np.isfinite(state.params[0].outlier_scale)
    state.switch(0, DIRTY, False)
    assert state.params[0].covariance[0, 0] == 500.0  # its variance: 133


def test_a_result_keeps_the_variance_floor():
    """Mutants: ``variance_floor`` left out of the result, the objective's
    history misnamed."""
    floored = dataclasses.replace(OPTIONS, floor=np.array([0.25, 0.5]))
    state = _em.EMState(PER_OUTPUT, WEIGHTS, floored, [True, False])
    state.start(DIRTY)
    decision = SimpleNamespace(keep=[True, False], evidence=[1.0, -1.0])
    result = state.result(None, decision)
    assert_array_equal(result.variance_floor, [0.25, 0.5])
    assert result.history["objective"][0] == state.history[0][2]


def test_previous_volumes_are_read_once(monkeypatch):
    """Mutant: after the E-step that weighs them, the previous volumes are
    set to "" instead of None: a later E-step without an M-step, whose fit
    is worse (residuals three times as large), would weigh them again."""
    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, [True, False])
    state.start(DIRTY)
    state.m_step(DIRTY)
    state.e_step(DIRTY)
    scored = []
    monkeypatch.setattr(state, "scorer", lambda *args: scored.append(1)
                        or _em.score_groups(*args))
    state.e_step(3 * DIRTY)
    assert scored == [1]


def test_options_of_a_network_take_the_network_margin():
    """Mutant: ``network`` not passed to ``auto_min_evidence``."""
    source = SimpleNamespace(**{field.name: getattr(_em.EMOptions(), field.name)
                                for field in dataclasses.fields(_em.EMOptions)})
    source.min_evidence = "auto"
    assert _em.EMOptions.of(source, network=True).min_evidence == _em.NETWORK_MIN_EVIDENCE
    assert _em.EMOptions.of(source).min_evidence == 0.0


def test_mixture_for_reads_the_floor_of_its_columns():
    """Mutant: the floor ignored."""
    options = dataclasses.replace(OPTIONS, floor=np.array([0.25, 0.5]))
    assert_array_equal(options.mixture_for(np.array([1]))["floor"], [0.5])


def test_objective_adds_the_regressors_share_of_the_log_determinants():
    """Mutants: the ``dof`` test inverted, any sign or factor of
    ``L + dof / 2 sum_g log|Sigma_g| / W``."""
    params = [_mixture.GroupParams(0.9, np.diag([2.0, 3.0]), 0.0),
              _mixture.GroupParams(1.0, np.array([[5.0]]), np.inf)]
    assert _em.objective(-1.5, params, 0.0, 40.0) == -1.5
    assert _em.objective(-1.5, params, 4.0, 40.0) == pytest.approx(
        -1.5 + 0.5 * 4.0 * np.log(30.0) / 40.0)


@pytest.mark.parametrize("variance", [0.0, 1e-300, 0.7, 3.0, 1e300, np.inf])
def test_the_log_determinant_of_one_variance_is_slogdets(variance):
    """Mutants: zero or infinity taken by the one-log shortcut (``math.log``
    refuses zero; slogdet gives -inf)."""
    covariance = np.array([[variance]])
    assert _em._log_det(covariance) == np.linalg.slogdet(covariance)[1]


def test_a_state_scores_its_objective_with_the_dof_it_was_given():
    """Mutants: ``start`` or ``m_step`` dropping the regressor's ``dof``, or
    ``objective`` dividing by 1 where it has one."""
    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, [True, False])
    state.start(DIRTY, dof=3.0)
    expected = _em.objective(state.log_likelihood, state.params, 3.0, WEIGHTS.sum())
    assert state.history[-1][2] == pytest.approx(expected)
    assert expected != state.log_likelihood
    state.m_step(DIRTY, dof=5.0)
    state.e_step(DIRTY)
    assert state.objective() == pytest.approx(
        _em.objective(state.log_likelihood, state.params, 5.0, WEIGHTS.sum()))


def test_m_step_of_a_contaminated_normal_updates_its_scale():
    """Mutant: the group's ``k`` not passed on (a uniform's M-step)."""
    state = _em.EMState(PER_OUTPUT, WEIGHTS, OPTIONS, [True, False])
    state.params = [None, None]
    state.switch(0, DIRTY, True, outlier_model="gaussian")
    state.switch(1, DIRTY, False)
    state.e_step(DIRTY)
    state.m_step(DIRTY)
    assert np.isfinite(state.params[0].outlier_scale)
    assert state.params[0].log_volume == np.inf


def test_a_volume_that_lowers_the_objective_gives_way_to_the_previous_one():
    """Mutants: the previous volumes not recorded by the M-step (or only
    where one did not change); the previous volume not restored, never
    taken, or compared with no objective reached. A box a million times as
    wide as the start's lowers the likelihood below the start's, whatever
    the M-step of ``rho`` and ``Sigma`` gained: the E-step keeps the
    start's."""
    state = _em.EMState([np.array([0])], WEIGHTS, OPTIONS, [True])
    state.start(DIRTY[:, :1])
    start_volume = state.params[0].log_volume
    state.m_step(DIRTY[:, :1])
    assert state.params[0].log_volume != start_volume
    assert state._previous_volumes == [start_volume]
    state.params[0] = dataclasses.replace(state.params[0],
                                          log_volume=start_volume + np.log(1e6))
    state.e_step(DIRTY[:, :1])
    assert state.params[0].log_volume == start_volume


def test_decide_outliers_passes_the_subset_dof_the_model_and_the_tests(monkeypatch):
    """Mutants: ``subset_dof``, the model or the test of each group not
    passed on, or the tests ignored."""
    seen = []
    original = _em.calibrated_evidence

    def recording(mixture, n_samples, n_columns, outlier_model="uniform",
                  subset_dof=None):
        seen.append((outlier_model, subset_dof))
        return original(mixture, n_samples, n_columns, outlier_model, subset_dof)

    monkeypatch.setattr(_em, "calibrated_evidence", recording)
    options = dataclasses.replace(OPTIONS, outlier_model="auto")
    decision = _em.decide_outliers(DIRTY, WEIGHTS, PER_OUTPUT, options, subset_dof=3,
                                   tests=np.array([7.5, np.nan]))
    assert seen == [("uniform", 3), ("gaussian", 3)] * 2
    assert decision.evidence[0] == 7.5


def test_a_wider_volume_is_judged_by_the_weighted_likelihood():
    """Mutant: the likelihood compared with the reached objective left
    unweighted. The 20 outliers weigh 0.01 each: a box e times as wide as
    the start's barely lowers their share of the weighted likelihood, and
    the M-step of ``rho`` and ``Sigma`` gained more; unweighted, their
    lower density would give the box back."""
    weights = np.r_[np.full(20, 0.01), WEIGHTS[20:]]
    state = _em.EMState([np.array([0])], weights, OPTIONS, [True])
    state.start(DIRTY[:, :1])
    start_volume = state.params[0].log_volume
    state.m_step(DIRTY[:, :1])
    state.params[0] = dataclasses.replace(state.params[0], log_volume=start_volume + 1.0)
    state.e_step(DIRTY[:, :1])
    assert state.params[0].log_volume == start_volume + 1.0


def test_refuted_evidence_is_at_or_below_zero():
    """Mutants (no test reached ``refuted`` before): the bound moved."""
    assert_array_equal(_em.refuted([0.0, -1.0, 0.5, 1e-12]), [True, True, False, False])
