"""Online scoring API for the churn model.

Run locally with `make serve`; in the cluster the image from the Dockerfile runs
`uvicorn churnmodel.serve:app`. Every prediction is logged as one JSON line with the
request id, the model version, the input features and the output, so the drift job
(`churnmodel.monitoring`) and later audits can replay what the model saw and said.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from functools import lru_cache
from typing import Literal

import joblib
import pandas as pd
from fastapi import FastAPI, HTTPException
from prometheus_client import Counter, Gauge, Histogram, make_asgi_app
from pydantic import BaseModel, Field

MODEL_PATH = os.environ.get("CHURN_MODEL_PATH", "models/model.joblib")
MODEL_VERSION = os.environ.get("CHURN_MODEL_VERSION", "dev")
THRESHOLD = float(os.environ.get("CHURN_DECISION_THRESHOLD", "0.5"))

logger = logging.getLogger("churnmodel.predictions")

PREDICTIONS = Counter("churn_predictions_total", "Predictions served", ["model_version", "label"])
ERRORS = Counter("churn_prediction_errors_total", "Failed prediction requests", ["model_version"])
LATENCY = Histogram("churn_prediction_latency_seconds", "Time to score one request",
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0))
MODEL_INFO = Gauge("churn_model_info", "Model currently served", ["model_version"])


class Customer(BaseModel):
    """One customer record, as the CRM export provides it."""

    tenure_months: int = Field(ge=0, le=600)
    monthly_charges: float = Field(ge=0)
    total_charges: float = Field(ge=0)
    contract: Literal["month-to-month", "one-year", "two-year"]
    payment_method: str
    support_calls_90d: int = Field(ge=0)


class Prediction(BaseModel):
    request_id: str
    model_version: str
    churn_probability: float
    churn: bool


@lru_cache(maxsize=1)
def load_model():
    """Load the trained pipeline once per process (the file is mounted read-only)."""
    return joblib.load(MODEL_PATH)


app = FastAPI(title="churn-model", version=MODEL_VERSION)
app.mount("/metrics", make_asgi_app())


@app.on_event("startup")
def _warm_up() -> None:
    load_model()
    MODEL_INFO.labels(model_version=MODEL_VERSION).set(1)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok", "model_version": MODEL_VERSION}


@app.post("/predict", response_model=Prediction)
def predict(customer: Customer) -> Prediction:
    request_id = str(uuid.uuid4())
    features = customer.model_dump()
    start = time.perf_counter()
    try:
        proba = float(load_model().predict_proba(pd.DataFrame([features]))[0, 1])
    except Exception as exc:
        ERRORS.labels(model_version=MODEL_VERSION).inc()
        logger.exception("prediction failed request_id=%s model_version=%s", request_id, MODEL_VERSION)
        raise HTTPException(status_code=500, detail="prediction failed") from exc
    finally:
        LATENCY.observe(time.perf_counter() - start)
    result = Prediction(request_id=request_id, model_version=MODEL_VERSION,
                        churn_probability=proba, churn=proba >= THRESHOLD)
    PREDICTIONS.labels(model_version=MODEL_VERSION, label=str(result.churn).lower()).inc()
    logger.info(json.dumps({
        "event": "prediction",
        "request_id": request_id,
        "model_version": MODEL_VERSION,
        "features": features,
        "churn_probability": proba,
        "churn": result.churn,
    }))
    return result
