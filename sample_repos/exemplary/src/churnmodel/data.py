"""Load, validate and split the CRM customer export (DVC stage `prepare`).

The raw export is validated against an explicit pandera schema before anything else touches
it: a renamed column, a negative charge or a null label fails the stage instead of quietly
producing a worse model.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd
import pandera as pa
from sklearn.model_selection import train_test_split

from churnmodel.config import load_params

TARGET = "churn"
SENSITIVE = ["gender", "senior_citizen"]  # kept for fairness audits only, never model inputs

log = logging.getLogger(__name__)

RAW_SCHEMA = pa.DataFrameSchema(
    {
        "customer_id": pa.Column(str, unique=True),
        "tenure_months": pa.Column(int, pa.Check.in_range(0, 600)),
        "monthly_charges": pa.Column(float, pa.Check.ge(0)),
        "total_charges": pa.Column(float, pa.Check.ge(0), nullable=True),
        "contract": pa.Column(str, pa.Check.isin(["month-to-month", "one-year", "two-year"])),
        "payment_method": pa.Column(str),
        "support_calls_90d": pa.Column(int, pa.Check.ge(0)),
        "gender": pa.Column(str, nullable=True, required=False),
        "senior_citizen": pa.Column(int, pa.Check.isin([0, 1]), required=False),
        TARGET: pa.Column(int, pa.Check.isin([0, 1])),
    },
    strict=False,
    coerce=True,
)


def load_customers(path: str | Path) -> pd.DataFrame:
    """Read the export, validate it, and fill the only column allowed to be missing."""
    df = RAW_SCHEMA.validate(pd.read_csv(path), lazy=True)
    # new customers have no billing history yet: total charges are their first month
    df["total_charges"] = df["total_charges"].fillna(df["monthly_charges"])
    return df


def split(df: pd.DataFrame, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified, seeded hold-out split: the same rows land in the test set on every run."""
    return train_test_split(df, test_size=test_size, stratify=df[TARGET], random_state=seed)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    params = load_params()["prepare"]
    train, test = split(load_customers(args.raw), params["test_size"], params["seed"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train.to_parquet(out / "train.parquet", index=False)
    test.to_parquet(out / "test.parquet", index=False)
    log.info("train: %d rows (churn rate %.3f), test: %d rows", len(train), train[TARGET].mean(), len(test))


if __name__ == "__main__":
    main()
