"""GUMRegressor on dask arrays and data frames (sklearn_gum._dask): the same
fit as in memory, out of core, with lazy outputs."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import dask  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import HuberRegressor, LinearRegression, Ridge  # noqa: E402

from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from sklearn_gum import (  # noqa: E402
    GUMRegressor,
    _chunk_stats,
    _dask,
    _mixture,
    _regressor_em,
    _warm_em,
)

RNG = np.random.RandomState(0)
N, P = 3000, 4
X = RNG.normal(size=(N, P)) * [1.0, 100.0, 0.01, 5.0] + 3.0
COEF = np.array([1.5, -0.02, 40.0, 0.3])
Y = X @ COEF + 2.0 + 0.1 * RNG.normal(size=N)
OUTLIERS = RNG.rand(N) < 0.25
Y[OUTLIERS] += RNG.uniform(5, 30, OUTLIERS.sum())  # one-sided
CHUNKS = 700
# Gaussian label noise: 20% of the targets with three times the noise's sd
NOISY = RNG.rand(N) < 0.2
Y_GAUSSIAN = X @ COEF + 2.0 + 0.1 * RNG.normal(size=N) * np.where(NOISY, 3.0, 1.0)


@pytest.fixture
def client():
    """Two worker processes: every chunk is scored away from the client."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


@pytest.fixture(autouse=True)
def scheduler(request):
    """Threads, unless the test runs on the cluster."""
    if "client" in request.fixturenames:
        yield
    else:
        with dask.config.set(scheduler="threads"):
            yield


@pytest.fixture
def small_sample(monkeypatch):
    """A sample of 1,000 of the 3,000 rows, in memory and for dask: the fit
    finishes on the chunks."""
    monkeypatch.setattr(_regressor_em, "EM_SAMPLE", 1000)
    monkeypatch.setattr(_dask, "SAMPLE", 1000)


@pytest.fixture(params=[8192, 64], ids=["one-block", "blocks-of-64"])
def block_rows(request, monkeypatch):
    """Chunks scored in one block, or in blocks of 64 rows (11 a chunk)."""
    monkeypatch.setattr(_chunk_stats, "BLOCK_ROWS", request.param)
    return request.param


def _lazy(values, chunks=CHUNKS):
    return da.from_array(values, chunks=(chunks,) + values.shape[1:])


def _check_same_fit(memory, lazy):
    assert_allclose(lazy.estimator_.coef_, memory.estimator_.coef_, rtol=1e-8)
    assert_allclose(lazy.estimator_.intercept_, memory.estimator_.intercept_, rtol=1e-8)
    assert_array_equal(lazy.inlier_mask_.compute(), memory.inlier_mask_)
    assert_allclose(lazy.outlier_proba_.compute(), memory.outlier_proba_,
                    rtol=1e-8, atol=1e-12)
    assert lazy.n_iter_ == memory.n_iter_
    for name in ("log_likelihood", "objective"):
        assert_allclose(lazy.history_[name], memory.history_[name], rtol=1e-10)
    for name in ("inlier_prior_", "uniform_volume_", "outlier_scale_", "covariance_",
                 "log_likelihood_"):
        assert_allclose(getattr(lazy, name), getattr(memory, name), rtol=1e-8)


def test_chunked_finish_on_a_cluster_equals_the_in_memory_fit(client, small_sample):
    memory = GUMRegressor().fit(X, Y)
    assert memory.has_outliers_ and memory.n_iter_ > 3
    lazy = GUMRegressor().fit(_lazy(X), _lazy(Y))
    _check_same_fit(memory, lazy)
    # the flags are the planted outliers (one inlier 4 sigma off is flagged)
    assert np.sum(~lazy.inlier_mask_.compute() != OUTLIERS) <= 1


def _full_data_stage(monkeypatch):
    """Where the full-data rows of ``history_`` start: the sample's E-steps
    before its last (which the first full-data E-step stands for)."""
    found = []
    fit_sample = _dask._fit_sample

    def spy(*args, **kwargs):
        result, options = fit_sample(*args, **kwargs)
        found.append(result.n_iter)
        return result, options

    monkeypatch.setattr(_dask, "_fit_sample", spy)
    return found


def test_gaussian_label_noise_finish_equals_the_in_memory_fit(small_sample, monkeypatch,
                                                              block_rows):
    # the contaminated normal's ECM on the chunks: Sigma for the current k,
    # k for the new Sigma, the refit weighted by r + (1 - r) / k (new k)
    memory = GUMRegressor().fit(X, Y_GAUSSIAN)
    assert memory.has_outliers_ and 3 < memory.outlier_scale_ < 30
    stage = _full_data_stage(monkeypatch)
    lazy = GUMRegressor().fit(_lazy(X), _lazy(Y_GAUSSIAN))
    assert memory.n_iter_ >= stage[0] + 2  # several full-data iterations
    _check_same_fit(memory, lazy)


@pytest.mark.parametrize("outliers", ["uniform", "gaussian"])
def test_full_data_objective_never_decreases(small_sample, monkeypatch, outliers):
    # the uniform keeps its previous volume where the rule's would lower
    # the objective (the module's data: three times in four iterations)
    stage = _full_data_stage(monkeypatch)
    targets = Y if outliers == "uniform" else Y_GAUSSIAN
    gum = GUMRegressor(tol=1e-8).fit(_lazy(X), _lazy(targets))
    assert np.isfinite(gum.outlier_scale_) == (outliers == "gaussian")
    objective = gum.history_["objective"][stage[0]:]
    assert len(objective) >= 4
    assert np.all(np.diff(objective) >= -1e-9 * np.abs(objective[:-1]))
    # the objective is the log-likelihood plus the dof term, not the former
    assert not np.allclose(objective, gum.history_["log_likelihood"][stage[0]:])


def test_an_unconverged_fit_with_max_iter_auto_warns(small_sample, monkeypatch):
    # "auto" is resolved before it is compared with n_iter_
    monkeypatch.setitem(_warm_em.AUTO_MAX_ITER, "exact", 6)
    with pytest.warns(ConvergenceWarning, match="max_iter=6"):
        gum = GUMRegressor(tol=1e-14).fit(_lazy(X), _lazy(Y_GAUSSIAN))
    assert gum.n_iter_ >= 6 and not gum.converged_


def test_ridge_finish_equals_the_in_memory_fit(small_sample):
    memory = GUMRegressor(Ridge(alpha=1e-3)).fit(X, Y)
    lazy = GUMRegressor(Ridge(alpha=1e-3)).fit(_lazy(X), _lazy(Y))
    _check_same_fit(memory, lazy)
    assert np.sum(~lazy.inlier_mask_.compute() != OUTLIERS) <= 1
    assert type(lazy.estimator_) is Ridge


def test_all_rows_in_the_sample_is_the_in_memory_fit(monkeypatch):
    # up to SAMPLE rows the dask fit is the in-memory one on the rows it
    # computes, in two stages above EM_SAMPLE
    monkeypatch.setattr(_regressor_em, "EM_SAMPLE", 1000)
    memory = GUMRegressor().fit(X, Y)
    lazy = GUMRegressor().fit(_lazy(X), _lazy(Y))
    _check_same_fit(memory, lazy)


def test_a_sample_larger_than_em_sample_finishes_near_the_in_memory_fit(monkeypatch):
    # the dask sample (1,500 rows) is fitted in two stages (EM_SAMPLE=500),
    # then finished on the chunks: the same EM, started elsewhere
    monkeypatch.setattr(_regressor_em, "EM_SAMPLE", 500)
    monkeypatch.setattr(_dask, "SAMPLE", 1500)
    memory = GUMRegressor().fit(X, Y)
    lazy = GUMRegressor().fit(_lazy(X), _lazy(Y))
    assert_allclose(lazy.estimator_.coef_, memory.estimator_.coef_, rtol=1e-3)
    assert np.sum(lazy.inlier_mask_.compute() != memory.inlier_mask_) <= 1


@pytest.mark.parametrize("params", [dict(uniform="range"), dict(covariance_type="diag"),
                                    dict(estimator=LinearRegression(fit_intercept=False))])
def test_options_and_weights_give_the_in_memory_fit(small_sample, params, block_rows):
    weights = RNG.randint(0, 3, N).astype(float)
    memory = GUMRegressor(**params).fit(X, Y, sample_weight=weights)
    lazy = GUMRegressor(**params).fit(_lazy(X), _lazy(Y), sample_weight=_lazy(weights, 400))
    _check_same_fit(memory, lazy)


def test_clean_data_is_the_plain_least_squares_fit(small_sample):
    clean = X @ COEF + 0.1 * RNG.normal(size=N)
    lazy = GUMRegressor().fit(_lazy(X), _lazy(clean))
    plain = LinearRegression().fit(X, clean)
    assert not lazy.has_outliers_
    assert_allclose(lazy.estimator_.coef_, plain.coef_, rtol=1e-8)
    memory = GUMRegressor().fit(X, clean)
    assert_allclose(lazy.log_likelihood_, memory.log_likelihood_, rtol=1e-10)
    assert_allclose(lazy.covariance_, memory.covariance_, rtol=1e-10)
    assert not lazy.outlier_proba_.compute().any()


def test_each_iteration_is_one_pass_and_outputs_are_lazy(small_sample, monkeypatch):
    reads = np.zeros(len(range(0, N, CHUNKS)), dtype=int)

    loaded = set()

    def load(block, block_info=None):
        reads[block_info[0]["chunk-location"][0]] += 1
        block = block.copy()
        loaded.add(block.ctypes.data)
        return block

    calls = []
    chunk_stats = _chunk_stats.chunk_stats
    monkeypatch.setattr(_chunk_stats, "chunk_stats",
                        lambda *args: calls.append(args[0].ctypes.data)
                        or chunk_stats(*args))
    Xd = _lazy(X).map_blocks(load, dtype=float)
    with dask.config.set(scheduler="threads"):
        gum = GUMRegressor().fit(Xd, _lazy(Y))
        passes = len(calls) // len(reads)
        # the sample, then one pass per full-data E-step
        assert passes >= 2 and len(calls) == passes * len(reads)
        assert_array_equal(reads, 1 + passes)
        assert set(calls) <= loaded  # each chunk's X scored where it was loaded
        assert isinstance(gum.outlier_proba_, da.Array)
        assert isinstance(gum.inlier_mask_, da.Array)
        assert gum.outlier_proba_.chunks == Xd.chunks[:1]
        assert gum.inlier_mask_.chunks == Xd.chunks[:1]
        prediction = gum.predict(Xd)
        proba = gum.outlier_proba(Xd, _lazy(Y))
        assert prediction.chunks == proba.chunks == Xd.chunks[:1]
        assert_array_equal(reads, 1 + passes)  # nothing computed yet
        assert_allclose(prediction.compute(), gum.predict(X), rtol=1e-12)
        assert_allclose(proba.compute(), gum.outlier_proba_.compute(), atol=1e-12)


def test_dask_dataframe_input(small_sample):
    names = [f"x{j}" for j in range(P)]
    frame = pd.DataFrame(X, columns=names)
    target = pd.Series(Y, name="y")
    memory = GUMRegressor().fit(frame, target)
    lazy = GUMRegressor().fit(dd.from_pandas(frame, npartitions=4),
                              dd.from_pandas(target, npartitions=4))
    _check_same_fit(memory, lazy)
    assert list(lazy.feature_names_in_) == names
    prediction = lazy.predict(dd.from_pandas(frame, npartitions=4))
    assert isinstance(prediction, da.Array) and prediction.numblocks == (4,)
    assert_allclose(prediction.compute(), memory.predict(frame), rtol=1e-10)
    with pytest.raises(ValueError, match="feature names should match"):
        lazy.predict(dd.from_pandas(frame[names[::-1]], npartitions=2))


def test_integer_features_and_a_series_target(small_sample):
    rounded = np.round(X * 1000).astype(np.int64)
    memory = GUMRegressor().fit(rounded, Y)
    lazy = GUMRegressor().fit(_lazy(rounded), dd.from_pandas(pd.Series(Y), npartitions=3))
    _check_same_fit(memory, lazy)
    assert lazy.estimator_.coef_.dtype == np.float64


def test_missing_or_empty_inputs_are_refused():
    with pytest.raises(ValueError, match="requires y"):
        GUMRegressor().fit(_lazy(X), None)
    with pytest.raises(ValueError, match="at least one sample"):
        GUMRegressor().fit(_lazy(X[:0]), _lazy(Y[:0]))


def test_other_regressors_get_an_error_naming_the_supported_ones():
    with pytest.raises(TypeError, match=r"LinearRegression \(not positive\) or Ridge"):
        GUMRegressor(HuberRegressor()).fit(_lazy(X), _lazy(Y))
    with pytest.raises(TypeError, match="LinearRegression"):
        GUMRegressor(LinearRegression(positive=True)).fit(_lazy(X), _lazy(Y))


def test_several_outputs_are_refused():
    with pytest.raises(ValueError, match="one output"):
        GUMRegressor().fit(_lazy(X), _lazy(np.column_stack([Y, Y])))


def _chunk_sums(e, r, w, splits):
    """The statistics :func:`chunk_stats` sums, chunk by chunk."""
    parts = []
    for rows in np.split(np.arange(len(e)), splits):
        ee, rr, ww = e[rows], r[rows], w[rows]
        sums = _chunk_stats._mixture_sums(ee, rr, np.zeros((len(rows), 1)), ww, 0.5)
        parts.append(dict(sums, n=len(rows), sw=ww.sum(), negative=False))
    return _chunk_stats.summarize(parts)


@pytest.mark.parametrize("uniform", ["moments", "range", 50.0])
def test_m_step_from_chunk_sums_equals_the_m_step(uniform):
    rng = np.random.RandomState(1)
    for _ in range(40):
        n = rng.randint(2, 300)
        e = rng.standard_cauchy(size=(n, 1)) * [1e-3, 1.0, 1e3][rng.randint(3)]
        r = [rng.rand(n), rng.rand(n) ** 8, 1 - rng.rand(n) ** 8][rng.randint(3)]
        w = [np.ones(n), rng.randint(0, 3, n).astype(float)][rng.randint(2)]
        w[0] = 1.0
        splits = np.sort(rng.choice(np.arange(1, n), min(3, n - 1), replace=False))
        options = dict(covariance_type="full", uniform=uniform, reg_covar=1e-6)
        stats = _chunk_sums(e, r, w, splits)
        expected = _mixture.m_step(e, r, w, **options, dof=2.0)
        got = _chunk_stats.m_step_from_stats(stats, **options, dof=2.0)
        assert got.inlier_prior == pytest.approx(expected.inlier_prior, rel=1e-12)
        assert_allclose(got.covariance, expected.covariance, rtol=1e-12)
        assert got.log_volume == pytest.approx(expected.log_volume, rel=1e-12, abs=1e-12)
        # the span of the pulled residuals, from each chunk's pairs
        span = _mixture._explained_span(e, r, w * (1 - r))
        assert_allclose(_chunk_stats._span(stats), span, rtol=1e-12)


def test_contaminated_m_step_and_refit_from_chunk_sums():
    """The Gaussian outliers' M-step from the sums equals the in-memory
    ECM step, and the normal equations combined with its new ``k`` are
    those of the refit weighted by ``w (r + (1 - r) / k)``."""
    rng = np.random.RandomState(2)
    n = 400
    Xc = rng.normal(size=(n, 3)) * [1.0, 10.0, 0.1] + 1.0
    e = rng.normal(size=(n, 1)) * np.where(rng.rand(n, 1) < 0.3, 4.0, 1.0)
    yc = Xc @ [1.0, -2.0, 3.0] + 0.5 + e[:, 0]
    w = rng.randint(0, 3, n).astype(float)
    params = [_mixture.GroupParams(0.7, np.array([[1.2]]), np.inf, 9.0)]
    mean, scale = Xc.mean(axis=0), Xc.std(axis=0)
    model = _chunk_stats.ChunkModel([1.0, -2.0, 3.0], 0.5, [params], mean, scale,
                                    True, 0.5)
    parts = [_chunk_stats.chunk_stats(Xc[rows], yc[rows], w[rows], model)
             for rows in np.array_split(np.arange(n), 3)]
    [stats] = _chunk_stats.combine_candidates(parts)
    options = dict(covariance_type="full", reg_covar=1e-6)
    got = _chunk_stats.m_step_from_stats(stats, **options, uniform="moments", dof=4.0,
                                         outlier_scale=9.0)
    resp, _ = _mixture.e_step(e, params[0])
    expected = _mixture.contaminated_m_step(e, resp, w, 9.0, **options, dof=4.0)
    assert got.inlier_prior == pytest.approx(expected.inlier_prior, rel=1e-12)
    assert_allclose(got.covariance, expected.covariance, rtol=1e-12)
    assert got.outlier_scale == pytest.approx(expected.outlier_scale, rel=1e-12)
    assert got.outlier_scale != pytest.approx(9.0, rel=1e-3)  # k moved
    gram, moment = _chunk_stats.normal_equations(stats, [got])
    weights = w * _mixture.precision_weights(resp[:, None], [got])[:, 0]
    design = np.column_stack([(Xc - mean) / scale, np.ones(n)])
    assert_allclose(gram, design.T @ (weights[:, None] * design), rtol=1e-10)
    assert_allclose(moment[:, 0], design.T @ (weights * yc), rtol=1e-10)


def _stats_in_blocks(monkeypatch, rows, *args):
    monkeypatch.setattr(_chunk_stats, "BLOCK_ROWS", rows)
    return _chunk_stats.chunk_stats(*args)


@pytest.mark.parametrize("candidates", ["uniform", "gaussian", "none"])
def test_a_chunk_in_blocks_sums_to_the_chunk_in_one_block(monkeypatch, candidates):
    """Blocks of 7 rows give the sums of one block of 500 (two candidate
    uniforms, a contaminated normal, or none), and those sums are the
    formulas' on the whole chunk."""
    rng = np.random.RandomState(3)
    n = 500
    Xc = rng.normal(size=(n, 3)) * [1.0, 10.0, 0.1] + 1.0
    e = rng.normal(size=n) * np.where(rng.rand(n) < 0.3, 6.0, 1.0)
    yc = Xc @ [1.0, -2.0, 3.0] + 0.5 + e
    w = rng.randint(0, 3, n).astype(float)
    mixtures = {
        "uniform": [[_mixture.GroupParams(0.7, np.array([[1.2]]), np.log(30.0))],
                    [_mixture.GroupParams(0.7, np.array([[1.2]]), np.log(20.0))]],
        "gaussian": [[_mixture.GroupParams(0.7, np.array([[1.2]]), np.inf, 9.0)]],
        "none": [None],
    }[candidates]
    mean, scale = Xc.mean(axis=0), Xc.std(axis=0)
    model = _chunk_stats.ChunkModel([1.0, -2.0, 3.0], 0.5, mixtures, mean, scale,
                                    True, 0.5)
    args = (Xc, yc, w, model, True)
    whole = _stats_in_blocks(monkeypatch, 10_000, *args)
    blocked = _stats_in_blocks(monkeypatch, 7, *args)
    design = np.column_stack([(Xc - mean) / scale, np.ones(n)])
    for params, one, seven in zip(mixtures, whole, blocked):
        assert one.keys() == seven.keys()
        for name in one:
            assert_allclose(seven[name], one[name], rtol=1e-12, atol=1e-12)
        if params is None:
            weights = w
        else:
            resp = _mixture.e_step(e[:, None], params[0])[0]
            floored = resp if candidates == "gaussian" else np.maximum(resp, 1e-12)
            weights = w * floored
            assert seven["in_w"] == pytest.approx(w @ resp, rel=1e-12)
        assert seven["n"] == n and seven["sw"] == w.sum()
        assert_allclose(seven["gram"], design.T @ (weights[:, None] * design),
                        rtol=1e-10)
        assert_allclose(seven["moment"][:, 0], design.T @ (weights * yc), rtol=1e-10)
        if candidates == "gaussian":  # the Gram of w, for that of w (1 - r)
            assert_allclose(seven["gram_all"], design.T @ (w[:, None] * design),
                            rtol=1e-10)
        else:
            assert "gram_all" not in seven
        if candidates == "uniform":  # the (r, e) of the explained residuals
            assert len(seven["pairs"]) == np.sum(w * (1 - resp) > 0)
    if candidates == "uniform":  # the two volumes score differently
        assert whole[0]["ll"] != pytest.approx(whole[1]["ll"], rel=1e-3)


@pytest.mark.parametrize("targets, expected", [(Y, 0), (Y_GAUSSIAN, 1)])
def test_the_gram_of_the_weights_is_summed_in_one_pass(small_sample, monkeypatch,
                                                       targets, expected):
    """For Gaussian outliers the first pass sums the Gram of w for every
    later one; a uniform's refit never needs it."""
    found = []
    chunk_stats = _chunk_stats.chunk_stats

    def spy(*args):
        stats = chunk_stats(*args)
        found.append(any("gram_all" in candidate for candidate in stats))
        return stats

    monkeypatch.setattr(_chunk_stats, "chunk_stats", spy)
    gum = GUMRegressor().fit(_lazy(X), _lazy(targets))
    chunks = len(range(0, N, CHUNKS))
    passes = [any(found[k:k + chunks]) for k in range(0, len(found), chunks)]
    assert np.isfinite(gum.outlier_scale_) == bool(expected)
    assert len(passes) >= 3 and sum(passes) == expected and passes[0] == bool(expected)
    assert all(found[:chunks]) == bool(expected)
