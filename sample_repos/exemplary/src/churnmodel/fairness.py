"""Fairness audit of the churn classifier across sensitive groups.

Gender and senior-citizen status are never model inputs, but retention offers follow the
model's predictions, so recall and selection rate must not differ much between groups.
"""

from __future__ import annotations

import pandas as pd
from fairlearn.metrics import MetricFrame, demographic_parity_difference, selection_rate
from sklearn.metrics import recall_score

from churnmodel.data import SENSITIVE, TARGET


def fairness_report(frame: pd.DataFrame, predicted) -> pd.DataFrame:
    rows = []
    for column in SENSITIVE:
        if column not in frame:
            continue
        groups = frame[column].fillna("unknown")
        by_group = MetricFrame(metrics={"recall": recall_score, "selection_rate": selection_rate},
                               y_true=frame[TARGET], y_pred=predicted, sensitive_features=groups)
        rows.append({
            "attribute": column,
            "recall_gap": float(by_group.difference()["recall"]),
            "demographic_parity_difference": demographic_parity_difference(
                frame[TARGET], predicted, sensitive_features=groups),
        })
    return pd.DataFrame(rows)
