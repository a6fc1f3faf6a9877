"""Drift statistics used by the nightly monitoring job."""

from __future__ import annotations

import numpy as np

from churnmodel.monitoring import PSI_ALERT, drift_report, population_stability_index
from tests.conftest import make_customers


def test_psi_is_near_zero_for_the_same_distribution():
    rng = np.random.default_rng(0)
    sample = rng.normal(size=5000)
    assert population_stability_index(sample, rng.normal(size=5000)) < 0.02


def test_psi_flags_a_shifted_distribution():
    rng = np.random.default_rng(0)
    assert population_stability_index(rng.normal(size=5000), rng.normal(loc=1.0, size=5000)) > PSI_ALERT


def test_drift_report_marks_only_the_shifted_feature():
    reference = make_customers(2000, seed=1)
    current = make_customers(2000, seed=2)
    current["monthly_charges"] = current["monthly_charges"] * 1.6
    report = drift_report(reference, current).set_index("feature")
    assert report.loc["monthly_charges", "drifted"]
    assert not report.loc["tenure_months", "drifted"]
