"""Shared fixtures: small, seeded customer frames shaped like the CRM export.

Tests never touch data/ (it is DVC-tracked and large); everything here is generated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

CONTRACTS = ["month-to-month", "one-year", "two-year"]
PAYMENT_METHODS = ["bank-transfer", "credit-card", "electronic-check", "mailed-check"]


def make_customers(n: int, seed: int = 7) -> pd.DataFrame:
    """n synthetic customers; churn is more likely on short, monthly, high-charge contracts."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, size=n)
    monthly = rng.uniform(18.0, 120.0, size=n).round(2)
    contract = rng.choice(CONTRACTS, size=n, p=[0.55, 0.25, 0.20])
    calls = rng.poisson(1.2, size=n)
    logit = -1.0 - 0.04 * tenure + 0.02 * monthly + 0.35 * calls + np.where(contract == "month-to-month", 1.2, -0.8)
    churn = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame({
        "customer_id": [f"C{i:05d}" for i in range(n)],
        "tenure_months": tenure,
        "monthly_charges": monthly,
        "total_charges": (monthly * np.maximum(tenure, 1)).round(2),
        "contract": contract,
        "payment_method": rng.choice(PAYMENT_METHODS, size=n),
        "support_calls_90d": calls,
        "churn": churn.astype(int),
    })


@pytest.fixture(scope="session")
def customers() -> pd.DataFrame:
    """400 labelled customers, enough to fit and evaluate the pipeline in a second."""
    return make_customers(400)


@pytest.fixture()
def customer_record() -> dict:
    """One request body for the scoring API."""
    return {
        "tenure_months": 3,
        "monthly_charges": 89.5,
        "total_charges": 268.5,
        "contract": "month-to-month",
        "payment_method": "electronic-check",
        "support_calls_90d": 4,
    }
