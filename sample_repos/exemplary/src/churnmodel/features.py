"""Feature engineering shared by training and serving (one code path, no skew)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

NUMERIC = ["tenure_months", "monthly_charges", "total_charges", "support_calls_90d",
           "charges_per_tenure_month", "calls_per_year"]
CATEGORICAL = ["contract", "payment_method"]


def add_derived(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["charges_per_tenure_month"] = out["total_charges"] / np.maximum(out["tenure_months"], 1)
    out["calls_per_year"] = out["support_calls_90d"] * 4
    return out


def build_preprocessor(seed: int) -> Pipeline:
    """Derived columns, scaling and one-hot encoding, then L1-based feature selection."""
    columns = ColumnTransformer([
        ("num", StandardScaler(), NUMERIC),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
    ])
    selector = SelectFromModel(
        LogisticRegression(penalty="l1", solver="liblinear", C=0.5, random_state=seed))
    return Pipeline([
        ("derive", FunctionTransformer(add_derived)),
        ("columns", columns),
        ("select", selector),
    ])
