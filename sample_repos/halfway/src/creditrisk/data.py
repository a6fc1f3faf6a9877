"""Load the loan book export and split it for training."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

TARGET = "defaulted"


def load_loans(path: str) -> pd.DataFrame:
    df = pd.read_csv(path, parse_dates=["issue_date"])
    df = df.drop_duplicates(subset="loan_id")
    df["income"] = df["income"].fillna(df["income"].median())
    return df


def split(df: pd.DataFrame, test_size: float = 0.2, seed: int = 13):
    return train_test_split(df, test_size=test_size, random_state=seed)
