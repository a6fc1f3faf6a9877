"""The scoring API: request validation, response shape and prediction logging."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from fastapi.testclient import TestClient

from churnmodel import serve


class FixedModel:
    """Stands in for the trained pipeline: always 80% churn probability."""

    def predict_proba(self, frame):
        return np.tile([0.2, 0.8], (len(frame), 1))


@pytest.fixture()
def client(monkeypatch):
    monkeypatch.setattr(serve, "load_model", lambda: FixedModel())
    return TestClient(serve.app)


def test_healthz_reports_model_version(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["model_version"] == serve.MODEL_VERSION


def test_predict_returns_probability_and_label(client, customer_record):
    response = client.post("/predict", json=customer_record)
    assert response.status_code == 200
    body = response.json()
    assert body["churn_probability"] == pytest.approx(0.8)
    assert body["churn"] is True


@pytest.mark.parametrize("field, value", [("tenure_months", -1), ("contract", "weekly")])
def test_predict_rejects_invalid_input(client, customer_record, field, value):
    response = client.post("/predict", json={**customer_record, field: value})
    assert response.status_code == 422


def test_every_prediction_is_logged_with_model_version(client, customer_record, caplog):
    with caplog.at_level(logging.INFO, logger="churnmodel.predictions"):
        client.post("/predict", json=customer_record)
    event = json.loads(caplog.records[-1].getMessage())
    assert event["model_version"] == serve.MODEL_VERSION
    assert event["features"] == customer_record
