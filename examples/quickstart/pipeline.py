"""The quickstart pipeline: ingest the reference data and the new data
drops, train a seeded random forest and evaluate it, check the drops for
drift against the reference, and retrain on everything only when they
drifted.

    repro run                          # runs it (every step cached the second time)
    repro run -p n_estimators=200      # reruns training and what follows
    repro replay RUN_ID --verify       # re-executes a past run and proves the bytes
    cp data/incoming/drop-002.csv data/drops/ && repro run --if-changed
                                       # a drifted drop arrives: retraining runs
"""

from pathlib import Path

import numpy as np
import pandas as pd
from features import matrix, split
from sklearn.ensemble import RandomForestRegressor

from repro import Dataset, Model, log_metric, log_tags, pipeline, step, when
from repro.drift import DriftReport, DriftThresholds, detect_drift


@step
def ingest_data(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    return frame.dropna().reset_index(drop=True)


@step
def ingest_drops(folder: Path) -> pd.DataFrame:
    """Every drop of new rows that arrived, in order."""
    frames = [pd.read_csv(path) for path in sorted(folder.glob("*.csv"))]
    return pd.concat(frames, ignore_index=True).dropna().reset_index(drop=True)


@step
def train_model(frame: pd.DataFrame, n_estimators: int) -> RandomForestRegressor:
    train, _ = split(frame)
    features, target = matrix(train)
    model = RandomForestRegressor(n_estimators=n_estimators, random_state=42, n_jobs=1)
    return model.fit(features, target)


@step
def evaluate(model: RandomForestRegressor, frame: pd.DataFrame) -> float:
    _, test = split(frame)
    features, target = matrix(test)
    rmse = float(np.sqrt(np.mean((model.predict(features) - target.to_numpy()) ** 2)))
    log_metric("rmse", rmse)
    return rmse


@step
def check_drift(reference: pd.DataFrame, current: pd.DataFrame, alpha: float) -> DriftReport:
    """Column by column: Kolmogorov-Smirnov and the population stability
    index against the reference the model was trained on."""
    report = detect_drift(reference, current, thresholds=DriftThresholds(alpha=alpha))
    log_metric("drifted_columns", len(report.drifted_columns))
    log_tags(drift="yes" if report else "no")
    return report


@step
def retrain_model(
    reference: pd.DataFrame, current: pd.DataFrame, n_estimators: int
) -> RandomForestRegressor:
    return train_model.func(pd.concat([reference, current], ignore_index=True), n_estimators)


@pipeline(model=Model(name="my_model"))
def quickstart(
    n_estimators: int = 100,
    drift_alpha: float = 0.01,
    data: Dataset = Dataset("data/housing.csv"),
    drops: Dataset = Dataset("data/drops/"),
) -> None:
    frame = ingest_data(data)
    current = ingest_drops(drops)
    model = train_model(frame, n_estimators=n_estimators)
    evaluate(model, frame)
    report = check_drift(frame, current, alpha=drift_alpha)
    with when(report):  # retrain only when the new data drifted
        retrained = retrain_model(frame, current, n_estimators=n_estimators)
        evaluate(retrained, current)
