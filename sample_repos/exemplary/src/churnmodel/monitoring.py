"""Daily drift monitoring: compare logged predictions with the training reference.

Runs as the `churn-drift-monitor` CronJob (k8s/cronjobs.yaml). For every numeric feature it
computes the population stability index (PSI) and a two-sample Kolmogorov-Smirnov test
between the training data and the last day of prediction logs, pushes the PSI values to
Prometheus (alert `ChurnFeatureDrift`) and posts a Slack message when a feature drifts.
Reading from object storage is retried: a transient S3 error should not skip a day.
"""

from __future__ import annotations

import argparse
import logging
import os

import numpy as np
import pandas as pd
import requests
from prometheus_client import CollectorRegistry, Gauge, push_to_gateway
from scipy.stats import ks_2samp
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

NUMERIC_FEATURES = ["tenure_months", "monthly_charges", "total_charges", "support_calls_90d"]
PSI_ALERT = 0.2
KS_PVALUE_ALERT = 0.01

log = logging.getLogger(__name__)


@retry(stop=stop_after_attempt(5), wait=wait_exponential(multiplier=2, max=60),
       retry=retry_if_exception_type((OSError, TimeoutError)), reraise=True)
def load_frame(uri: str) -> pd.DataFrame:
    """Read a parquet file or prefix from S3, retrying transient failures."""
    return pd.read_parquet(uri)


def population_stability_index(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI over quantile bins of the reference distribution."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    ref_share = np.histogram(reference, edges)[0] / len(reference)
    cur_share = np.histogram(np.clip(current, edges[0], edges[-1]), edges)[0] / max(len(current), 1)
    ref_share = np.clip(ref_share, 1e-6, None)
    cur_share = np.clip(cur_share, 1e-6, None)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def drift_report(reference: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for col in NUMERIC_FEATURES:
        ref, cur = reference[col].dropna().to_numpy(), current[col].dropna().to_numpy()
        ks = ks_2samp(ref, cur)
        psi = population_stability_index(ref, cur)
        rows.append({"feature": col, "psi": psi, "ks_statistic": ks.statistic, "ks_pvalue": ks.pvalue,
                     "drifted": psi > PSI_ALERT or ks.pvalue < KS_PVALUE_ALERT})
    return pd.DataFrame(rows)


def publish(report: pd.DataFrame, gateway: str) -> None:
    registry = CollectorRegistry()
    psi = Gauge("churn_feature_drift_psi", "PSI of a feature vs. training data", ["feature"], registry=registry)
    last_run = Gauge("churn_drift_last_run_timestamp_seconds", "Last drift job run", registry=registry)
    for row in report.itertuples():
        psi.labels(feature=row.feature).set(row.psi)
    last_run.set_to_current_time()
    push_to_gateway(gateway, job="churn-drift-monitor", registry=registry)


def notify(report: pd.DataFrame) -> None:
    """Post drifted features to the team channel (webhook URL from the job's secret)."""
    drifted = report[report["drifted"]]
    webhook = os.environ.get("SLACK_WEBHOOK_URL")
    if drifted.empty or not webhook:
        return
    lines = [f"- {r.feature}: PSI {r.psi:.2f}, KS p={r.ks_pvalue:.3g}" for r in drifted.itertuples()]
    requests.post(webhook, json={"text": "Churn model input drift detected:\n" + "\n".join(lines)}, timeout=10)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", required=True, help="training data used for the served model")
    parser.add_argument("--current", required=True, help="prediction logs of the last day")
    parser.add_argument("--pushgateway", default=os.environ.get("PUSHGATEWAY", "pushgateway:9091"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    report = drift_report(load_frame(args.reference), load_frame(args.current))
    log.info("drift report\n%s", report.to_string(index=False))
    publish(report, args.pushgateway)
    notify(report)


if __name__ == "__main__":
    main()
