"""Evaluate the trained pipeline on the hold-out split and gate its registration (stage `evaluate`).

Metrics go to reports/metrics.json (DVC metrics) and to the MLflow run that trained the model.
The model is registered in the MLflow model registry only when it clears the minimum ROC AUC
from params.yaml *and* does not fall behind the current production model.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import joblib
import mlflow
import pandas as pd
from mlflow.tracking import MlflowClient
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from churnmodel.config import load_params
from churnmodel.data import SENSITIVE, TARGET
from churnmodel.fairness import fairness_report

log = logging.getLogger(__name__)


def compute_metrics(y_true: pd.Series, proba, threshold: float = 0.5) -> dict[str, float]:
    predicted = proba >= threshold
    return {
        "roc_auc": roc_auc_score(y_true, proba),
        "pr_auc": average_precision_score(y_true, proba),
        "f1": f1_score(y_true, predicted),
        "precision": precision_score(y_true, predicted),
        "recall": recall_score(y_true, predicted),
    }


def production_roc_auc(client: MlflowClient, name: str) -> float | None:
    """ROC AUC of the model version currently holding the `production` alias, if any."""
    try:
        version = client.get_model_version_by_alias(name, "production")
    except mlflow.exceptions.MlflowException:
        return None
    return client.get_run(version.run_id).data.metrics.get("test_roc_auc")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    params = load_params()["evaluate"]

    pipeline = joblib.load(args.model)
    test = pd.read_parquet(Path(args.data) / "test.parquet")
    X, y = test.drop(columns=[TARGET, "customer_id", *SENSITIVE], errors="ignore"), test[TARGET]
    proba = pipeline.predict_proba(X)[:, 1]
    metrics = compute_metrics(y, proba)

    importance = permutation_importance(pipeline, X, y, scoring="roc_auc", n_repeats=10, random_state=0)
    ranking = sorted(zip(X.columns, importance.importances_mean, strict=True), key=lambda kv: -kv[1])
    fpr, tpr, _ = roc_curve(y, proba)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    curve = [{"fpr": f, "tpr": t} for f, t in zip(fpr, tpr, strict=True)]
    (out / "roc_curve.json").write_text(json.dumps(curve))
    (out / "feature_importance.json").write_text(json.dumps(dict(ranking), indent=2))
    (out / "fairness.json").write_text(fairness_report(test, proba >= 0.5).to_json(indent=2))

    run_id = Path(args.model).with_suffix(".run_id").read_text().strip()
    client = MlflowClient()
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics({f"test_{k}": v for k, v in metrics.items()})
        mlflow.log_artifacts(str(out), artifact_path="evaluation")

    # --- validation gate: only a model that clears the bar is registered ---
    current = production_roc_auc(client, params["registry_name"])
    if metrics["roc_auc"] < params["min_roc_auc"]:
        log.error("ROC AUC %.3f below the minimum %.3f: not registering",
                  metrics["roc_auc"], params["min_roc_auc"])
        return 1
    if current is not None and metrics["roc_auc"] < current - params["max_regression"]:
        log.error("ROC AUC %.3f worse than production (%.3f): not registering", metrics["roc_auc"], current)
        return 1
    version = mlflow.register_model(f"runs:/{run_id}/model", params["registry_name"])
    client.set_registered_model_alias(params["registry_name"], "challenger", version.version)
    log.info("registered %s version %s as challenger", params["registry_name"], version.version)
    return 0


if __name__ == "__main__":
    sys.exit(main())
