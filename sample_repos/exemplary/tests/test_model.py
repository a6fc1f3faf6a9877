"""Model quality: the pipeline learns the signal in the fixture data and behaves sensibly."""

from __future__ import annotations

from sklearn.metrics import roc_auc_score

from churnmodel.train import build_pipeline
from tests.conftest import make_customers

PARAMS = {"learning_rate": 0.1, "max_depth": 3, "max_iter": 100, "l2_regularization": 0.0}


def _fit(frame):
    X, y = frame.drop(columns=["churn", "customer_id"]), frame["churn"]
    return build_pipeline(PARAMS, seed=0).fit(X, y)


def test_model_beats_the_quality_bar(customers):
    model = _fit(customers)
    holdout = make_customers(400, seed=99)
    proba = model.predict_proba(holdout.drop(columns=["churn", "customer_id"]))[:, 1]
    assert roc_auc_score(holdout["churn"], proba) >= 0.70


def test_more_support_calls_raise_churn_risk_on_average(customers):
    """Directional behaviour: frequent support calls are a churn signal in the data."""
    model = _fit(customers)
    X = customers.drop(columns=["churn", "customer_id"])
    calm = model.predict_proba(X.assign(support_calls_90d=0))[:, 1].mean()
    angry = model.predict_proba(X.assign(support_calls_90d=8))[:, 1].mean()
    assert angry > calm
