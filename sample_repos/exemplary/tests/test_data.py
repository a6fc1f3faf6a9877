"""The raw-data contract: the schema accepts the export and rejects broken ones."""

from __future__ import annotations

import pandas as pd
import pandera as pa
import pytest

from churnmodel.data import RAW_SCHEMA, TARGET, load_customers, split


def test_schema_accepts_a_valid_export(customers, tmp_path):
    path = tmp_path / "customers.csv"
    customers.to_csv(path, index=False)
    loaded = load_customers(path)
    assert len(loaded) == len(customers)
    assert loaded["total_charges"].notna().all()


def test_schema_rejects_negative_charges(customers):
    broken = customers.assign(monthly_charges=-1.0)
    with pytest.raises(pa.errors.SchemaErrors):
        RAW_SCHEMA.validate(broken, lazy=True)


def test_schema_rejects_unknown_contract(customers):
    broken = customers.copy()
    broken.loc[0, "contract"] = "lifetime"
    with pytest.raises(pa.errors.SchemaErrors):
        RAW_SCHEMA.validate(broken, lazy=True)


def test_split_is_reproducible_and_stratified(customers):
    train_a, test_a = split(customers, test_size=0.25, seed=3)
    train_b, test_b = split(customers, test_size=0.25, seed=3)
    pd.testing.assert_frame_equal(test_a, test_b)
    assert abs(test_a[TARGET].mean() - customers[TARGET].mean()) < 0.03
