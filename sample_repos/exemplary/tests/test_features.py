"""Feature engineering: derived columns and the preprocessing pipeline."""

from __future__ import annotations

from churnmodel.features import NUMERIC, add_derived, build_preprocessor


def test_derived_columns_are_finite(customers):
    out = add_derived(customers)
    assert set(NUMERIC) <= set(out.columns)
    assert out["charges_per_tenure_month"].between(0, 10_000).all()


def test_preprocessor_keeps_rows(customers):
    X = customers.drop(columns=["churn", "customer_id"])
    transformed = build_preprocessor(seed=0).fit_transform(X, customers["churn"])
    assert transformed.shape[0] == len(customers)
    assert 0 < transformed.shape[1] <= len(NUMERIC) + 7
