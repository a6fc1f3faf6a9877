"""Feature engineering for the loan default model."""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = ["loan_amount", "income", "debt_to_income", "term_months", "credit_history_years",
            "open_accounts", "log_income"]


def build_features(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["debt_to_income"] = out["monthly_debt"] * 12 / out["income"].clip(lower=1)
    out["log_income"] = np.log1p(out["income"])
    out["credit_history_years"] = (out["issue_date"] - out["first_credit_date"]).dt.days / 365.25
    return out[FEATURES]
