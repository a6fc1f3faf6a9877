"""Train the churn classifier (DVC stage `train`).

Hyperparameters come from params.yaml; Optuna searches the ranges declared there with
stratified cross-validation, the best configuration is refit on the full training split,
and every trial and the final run are tracked in MLflow.
"""

from __future__ import annotations

import argparse
import logging
import random
from pathlib import Path

import joblib
import mlflow
import numpy as np
import optuna
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline

from churnmodel.config import load_params
from churnmodel.data import SENSITIVE, TARGET
from churnmodel.features import build_preprocessor

log = logging.getLogger(__name__)


def set_seed(seed: int) -> None:
    """Global seeds for code that draws from the legacy global generators; estimators and
    splits also get `random_state` explicitly."""
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002


def build_pipeline(model_params: dict, seed: int) -> Pipeline:
    model = HistGradientBoostingClassifier(class_weight="balanced", random_state=seed, **model_params)
    return Pipeline([("prep", build_preprocessor(seed)), ("model", model)])


def search(X: pd.DataFrame, y: pd.Series, params: dict) -> dict:
    """Optuna search over the ranges in params.yaml, scored by stratified CV ROC AUC."""
    space, seed = params["search_space"], params["seed"]
    folds = StratifiedKFold(n_splits=params["cv_folds"], shuffle=True, random_state=seed)

    def objective(trial: optuna.Trial) -> float:
        candidate = {
            "learning_rate": trial.suggest_float("learning_rate", *space["learning_rate"], log=True),
            "max_depth": trial.suggest_int("max_depth", *space["max_depth"]),
            "max_iter": trial.suggest_int("max_iter", *space["max_iter"], step=50),
            "l2_regularization": trial.suggest_float("l2_regularization", *space["l2_regularization"]),
        }
        with mlflow.start_run(nested=True):
            score = cross_val_score(build_pipeline(candidate, seed), X, y, cv=folds, scoring="roc_auc").mean()
            mlflow.log_params(candidate)
            mlflow.log_metric("cv_roc_auc", score)
        return score

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=params["n_trials"])
    return study.best_params


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="directory with train.parquet")
    parser.add_argument("--out", required=True, help="where to write the fitted pipeline")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    params = load_params()
    train_params = params["train"]
    set_seed(train_params["seed"])

    train = pd.read_parquet(Path(args.data) / "train.parquet")
    X, y = train.drop(columns=[TARGET, "customer_id", *SENSITIVE], errors="ignore"), train[TARGET]

    mlflow.set_experiment(params["mlflow"]["experiment"])
    with mlflow.start_run(run_name="train") as run:
        best = search(X, y, train_params)
        pipeline = build_pipeline(best, train_params["seed"])
        pipeline.fit(X, y)
        mlflow.log_params(best)
        mlflow.sklearn.log_model(pipeline, artifact_path="model", input_example=X.head(5))
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(pipeline, args.out)
        Path(args.out).with_suffix(".run_id").write_text(run.info.run_id)
    log.info("best params: %s", best)


if __name__ == "__main__":
    main()
