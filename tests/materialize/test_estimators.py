"""sklearn.skops: estimators in canonical skops files, loaded without blind trust."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from materialize_testing import oid_in_fresh_process
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from repro.materialize import MaterializeOptions, Registry, UntrustedTypesError, dump
from repro.materialize.estimators import trustworthy
from repro.store import ObjectStore

_FOREST_CODE = """
import numpy as np
from sklearn.ensemble import RandomForestRegressor

features = np.random.RandomState(0).rand(60, 4)
target = features @ np.array([1.0, -2.0, 0.5, 3.0])
value = RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(features, target)
"""
_X = np.random.RandomState(0).rand(60, 4)
_Y = _X @ np.array([1.0, -2.0, 0.5, 3.0])


def _forest() -> RandomForestRegressor:
    return RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0).fit(_X, _Y)


def shift(values: np.ndarray) -> np.ndarray:
    """A function of this module: skops does not trust it by default."""
    return values + 1.0


class HomeMadeEstimator(BaseEstimator):  # type: ignore[misc]
    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale


def test_a_forest_round_trips(registry: Registry, store: ObjectStore) -> None:
    forest = _forest()
    loaded = registry.load(registry.dump(forest, store), store)
    assert isinstance(loaded, RandomForestRegressor)
    np.testing.assert_array_equal(loaded.predict(_X), forest.predict(_X))


def test_the_artifact_names_skops(registry: Registry, store: ObjectStore) -> None:
    artifact = registry.dump(_forest(), store)
    assert (artifact.materializer, artifact.kind, artifact.type) == (
        "sklearn.skops",
        "blob",
        "sklearn.ensemble._forest.RandomForestRegressor",
    )


def test_a_forest_fitted_twice_gives_the_same_bytes(registry: Registry, store: ObjectStore) -> None:
    assert registry.dump(_forest(), store).oid == registry.dump(_forest(), store).oid


def test_one_model_dumped_twice_gives_the_same_bytes(
    registry: Registry, store: ObjectStore
) -> None:
    forest = _forest()
    assert registry.dump(forest, store).oid == registry.dump(forest, store).oid


@pytest.mark.slow
def test_fresh_processes_give_the_same_oid(store: ObjectStore, tmp_path: Path) -> None:
    here = dump(_forest(), store).oid
    first = oid_in_fresh_process(_FOREST_CODE, tmp_path / "a", hash_seed=1)
    second = oid_in_fresh_process(_FOREST_CODE, tmp_path / "b", hash_seed=2)
    assert first == second == here


def test_a_pipeline_round_trips(registry: Registry, store: ObjectStore) -> None:
    labels = (_Y - _Y.mean() > 0).astype(int)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(_X, labels)
    loaded = registry.load(registry.dump(model, store), store)
    np.testing.assert_array_equal(loaded.predict(_X), model.predict(_X))  # type: ignore[attr-defined]


def test_a_model_with_sklearn_extension_types_loads(registry: Registry, store: ObjectStore) -> None:
    labels = (_Y - _Y.mean() > 0).astype(int)
    model = KNeighborsClassifier(n_neighbors=3, algorithm="kd_tree").fit(_X, labels)
    loaded = registry.load(registry.dump(model, store), store)
    np.testing.assert_array_equal(loaded.predict(_X), model.predict(_X))  # type: ignore[attr-defined]


def test_skops_wins_over_pickle_when_pickle_is_allowed(
    registry: Registry, pickle_options: MaterializeOptions
) -> None:
    assert registry.for_value(_forest(), pickle_options).name == "sklearn.skops"


def test_a_function_from_the_project_is_refused_at_dump(
    registry: Registry, store: ObjectStore
) -> None:
    model = make_pipeline(FunctionTransformer(shift), StandardScaler()).fit(_X)
    with pytest.raises(
        UntrustedTypesError, match=r"cannot dump the model: .*test_estimators\.shift"
    ):
        registry.dump(model, store)


def test_a_home_made_estimator_is_refused_at_dump(registry: Registry, store: ObjectStore) -> None:
    with pytest.raises(UntrustedTypesError, match=r"HomeMadeEstimator.*allow_pickle = true"):
        registry.dump(HomeMadeEstimator(), store)


def test_allow_pickle_trusts_the_project(
    registry: Registry, store: ObjectStore, pickle_options: MaterializeOptions
) -> None:
    model = make_pipeline(FunctionTransformer(shift), StandardScaler()).fit(_X)
    loaded = registry.load(registry.dump(model, store, pickle_options), store, pickle_options)
    np.testing.assert_array_equal(loaded.transform(_X), model.transform(_X))  # type: ignore[attr-defined]


def test_an_untrusted_model_is_refused_at_load(
    registry: Registry, store: ObjectStore, pickle_options: MaterializeOptions
) -> None:
    artifact = registry.dump(HomeMadeEstimator(scale=2.0), store, pickle_options)
    with pytest.raises(UntrustedTypesError, match=r"cannot load the model: .*HomeMadeEstimator"):
        registry.load(artifact, store)


@pytest.mark.parametrize(
    "name",
    ["sklearn.tree._tree.Tree", "sklearn.neighbors._kd_tree.KDTree", "numpy.dtype"],
)
def test_library_classes_are_trusted(name: str) -> None:
    assert trustworthy(name)


@pytest.mark.parametrize(
    "name",
    [
        "os.system",
        "builtins.eval",
        "numpy.testing._private.utils.runstring",  # a function: it would exec a string
        "numpy.memmap",  # opens a file
        "scipy.io.FortranFile",  # opens a file
        "sklearn.no_such_module.Thing",
        "sklearn.tree._tree.NoSuchClass",
        "sklearnish.Model",
    ],
)
def test_other_names_are_not_trusted(name: str) -> None:
    assert not trustworthy(name)
