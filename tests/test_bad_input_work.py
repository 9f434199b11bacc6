"""Requests for unbounded work (issue 19): ``n_init=10**9``,
``max_iter=10**9`` with ``tol=0``, ``compare_estimators(n_runs=10**9)``.
Long loops of runs report their progress with ``verbose``, and warn once,
without it, when the runs left would take over an hour (``WARN_AFTER``);
EM iterations do so past the default budget of 100; compare_estimators
refuses more runs than it can hold."""

import re
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge

from sklearn_gum import GUMRegressor, _progress
from sklearn_gum._progress import Progress, iteration_budget
from sklearn_gum.model_selection import compare_estimators

RNG = np.random.RandomState(0)
X = RNG.normal(size=(60, 2))
Y = X @ [1.0, 2.0] + RNG.normal(scale=0.1, size=60)
Y[:12] += 10
PEERS = {"ols": LinearRegression(), "no intercept": LinearRegression(fit_intercept=False)}


@pytest.fixture
def warn_at_once(monkeypatch):
    """Any estimate of time left is 'too long'; the warning is an error, so
    that a loop of 10**9 runs stops at the first."""
    monkeypatch.setattr(_progress, "WARN_AFTER", 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        yield


def test_a_billion_em_runs_warn_after_the_first(warn_at_once):
    with pytest.raises(UserWarning, match=r"GUM: EM runs: 1000000000 requested, 1 "
                       r"took .* s; the rest will take about .*Lower n_init, or pass "
                       r"verbose=1"):
        GUMRegressor(n_init=10**9, random_state=0).fit(X, Y)


def test_verbose_reports_each_em_run(capsys):
    gum = GUMRegressor(n_init=3, random_state=0, verbose=1).fit(X, Y)
    lines = capsys.readouterr().out.splitlines()
    done = [line for line in lines if re.match(r"GUM: EM run \d of 3 done", line)]
    assert done[0].startswith("GUM: EM run 1 of 3 done (") and "left" in done[0]
    assert done[-1].startswith("GUM: EM run 3 of 3 done")
    assert f"{gum.log_likelihood_:.6g}" in lines[-1]


def test_few_runs_neither_warn_nor_print(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        GUMRegressor(n_init=3, random_state=0).fit(X, Y)
    assert capsys.readouterr().out == ""


def test_progress_lines_are_throttled_and_estimate_the_time_left(capsys):
    progress = Progress("step", 1000, verbose=1, advice="Fewer", interval=3600)
    for done in range(1, 1001):
        progress.step(done)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2  # the first and the last
    assert re.fullmatch(r"step 1 of 1000 done \(.* s elapsed, about .* left\)", lines[0])
    assert re.fullmatch(r"step 1000 of 1000 done \(.* elapsed, about 0 s left\)",
                        lines[1])


def test_compare_estimators_refuses_a_billion_runs():
    with pytest.raises(ValueError, match=r"n_runs=1000000000 is more than the 10000 "
                       r"runs compare_estimators can hold.*Lower n_runs"):
        compare_estimators(PEERS, X, Y, n_runs=10**9)


def test_compare_estimators_warns_when_the_runs_take_long(warn_at_once):
    with pytest.raises(UserWarning, match=r"compare_estimators: fits: 100 requested, "
                       r"1 took .*Lower n_runs, or pass verbose=1"):
        compare_estimators(PEERS, X, Y, n_runs=10, cv=5)


def test_compare_estimators_verbose_reports_the_fits(capsys):
    compare_estimators({"ols": LinearRegression(), "gum": GUMRegressor()}, X, Y,
                       n_runs=2, cv=3, verbose=1, random_state=0)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("compare_estimators: fit 1 of 12 done (")
    assert lines[-1].startswith("compare_estimators: fit 12 of 12 done (")


def test_the_tol_docstring_says_what_zero_means():
    doc = " ".join(GUMRegressor.__doc__.split())
    assert "``tol=0`` stops only at an exact fixed point" in doc
    assert "runs exactly ``max_iter`` iterations" in doc


def test_a_billion_em_iterations_at_tol_zero_warn_past_the_default_budget():
    # a Ridge with one alpha per output (its own solver at every refit, not
    # the normal equations) by stochastic average gradient, which draws a new
    # sample order at every refit: the EM never reaches an exact fixed point
    # (the log-likelihood keeps moving in its last digits): at tol=0 this ran
    # for ever without a word
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 2))
    Y = X @ [1.0, 2.0] + rng.normal(scale=0.1, size=100)
    Y[:20] += 10
    Y = np.column_stack([Y, X[:, 0] + rng.normal(scale=0.1, size=100)])
    ridge = Ridge(alpha=np.array([1.0, 1.0]), solver="sag")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(UserWarning, match=r"GUM: EM iterations: 1000000000 "
                           r"requested, 101 took .* s; the rest will take about "
                           r".* days\. Unless the EM converges first \(with tol=0 "
                           r"it stops only at an exact fixed point.*lower max_iter "
                           r"or raise tol, or pass verbose=1"):
            GUMRegressor(ridge, max_iter=10**9, tol=0, random_state=0).fit(X, Y)


def test_a_large_max_iter_that_converges_does_not_warn(warn_at_once):
    gum = GUMRegressor(Ridge(), max_iter=10**9).fit(X, Y)
    assert gum.converged_ and gum.n_iter_ < 100


def test_iterations_warn_only_past_the_default_budget(warn_at_once):
    budget = iteration_budget(10**9)
    for n_iter in range(1, 101):
        budget.step(n_iter)
    with pytest.raises(UserWarning, match=r"GUM: EM iterations: 1000000000 "
                       r"requested, 101 took"):
        budget.step(101)


def test_the_decision_em_over_fixed_residuals_warns_too(warn_at_once, monkeypatch):
    # the EM that decides about outliers runs max_iter iterations too: one
    # that never settles (tol=0 on a cycle in the last digits) warns
    from sklearn_gum import _residual_em

    monkeypatch.setattr(_residual_em, "has_converged", lambda *args: False)
    residuals = np.r_[RNG.normal(size=90), RNG.uniform(10, 20, size=10)][:, None]
    with pytest.raises(UserWarning, match=r"GUM: EM iterations: 1000000000 "
                       r"requested, 101 took"):
        _residual_em.fit_residuals(residuals, np.ones(100), covariance_type="full",
                                   uniform="moments", reg_covar=1e-6, max_iter=10**9,
                                   tol=0)
