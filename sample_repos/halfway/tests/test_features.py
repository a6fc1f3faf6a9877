import pandas as pd
from creditrisk.features import FEATURES, build_features


def _frame():
    return pd.DataFrame({
        "loan_amount": [5000, 12000],
        "income": [42000, 0],
        "monthly_debt": [350, 900],
        "term_months": [36, 60],
        "open_accounts": [3, 7],
        "issue_date": pd.to_datetime(["2023-01-10", "2023-02-01"]),
        "first_credit_date": pd.to_datetime(["2010-05-01", "2019-09-15"]),
    })


def test_build_features_columns():
    assert list(build_features(_frame()).columns) == FEATURES


def test_debt_to_income_handles_zero_income():
    out = build_features(_frame())
    assert out["debt_to_income"].notna().all()
