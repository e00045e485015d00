"""The quickstart pipeline: ingest a CSV, train a seeded random forest,
evaluate it and check the data for drift.

    repro run                          # runs it (every step cached the second time)
    repro run -p n_estimators=200      # reruns training and what follows
    repro replay RUN_ID --verify       # re-executes a past run and proves the bytes
"""

from pathlib import Path

import numpy as np
import pandas as pd
from features import matrix, split
from sklearn.ensemble import RandomForestRegressor

from repro import Dataset, Model, log_metric, pipeline, step


@step
def ingest_data(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path)
    return frame.dropna().reset_index(drop=True)


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
def check_drift(frame: pd.DataFrame, threshold: float) -> dict:
    """Compare the newest quarter of the rows with the oldest (the reference
    slice): a feature drifts when its mean moved by more than ``threshold``
    reference standard deviations."""
    quarter = len(frame) // 4
    reference, current = frame.iloc[:quarter], frame.iloc[-quarter:]
    shifts = {
        column: round(
            float(
                abs(current[column].mean() - reference[column].mean())
                / (reference[column].std() or 1.0)
            ),
            6,
        )
        for column in frame.columns
    }
    drifted = sorted(column for column, shift in shifts.items() if shift > threshold)
    log_metric("max_shift", max(shifts.values()))
    return {"drift": bool(drifted), "drifted": drifted, "shifts": shifts}


@pipeline(model=Model(name="my_model"))
def quickstart(
    n_estimators: int = 100,
    drift_threshold: float = 0.5,
    data: Dataset = Dataset("data/housing.csv"),
) -> None:
    frame = ingest_data(data)
    model = train_model(frame, n_estimators=n_estimators)
    evaluate(model, frame)
    check_drift(frame, threshold=drift_threshold)
