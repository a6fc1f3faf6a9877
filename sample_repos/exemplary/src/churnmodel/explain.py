"""SHAP explanations of the trained pipeline, for the model review and the model card."""

from __future__ import annotations

import argparse
from pathlib import Path

import joblib
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import shap  # noqa: E402

from churnmodel.data import SENSITIVE, TARGET  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", default="reports/shap_summary.png")
    args = parser.parse_args(argv)
    pipeline = joblib.load(args.model)
    sample = pd.read_parquet(Path(args.data) / "test.parquet").sample(n=500, random_state=0)
    X = sample.drop(columns=[TARGET, "customer_id", *SENSITIVE], errors="ignore")
    def churn_probability(rows):
        return pipeline.predict_proba(pd.DataFrame(rows, columns=X.columns))[:, 1]

    explainer = shap.Explainer(churn_probability, X)
    shap.summary_plot(explainer(X), X, show=False)
    plt.savefig(args.out, bbox_inches="tight")


if __name__ == "__main__":
    main()
