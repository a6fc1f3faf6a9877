"""Pipeline parameters, read from params.yaml (the same file DVC tracks for every stage).

Hyperparameters never live in code: change params.yaml, run `dvc repro`, and DVC and MLflow
both record which values produced which model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PARAMS_FILE = Path("params.yaml")


def load_params(path: Path | str = PARAMS_FILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        params = yaml.safe_load(fh)
    missing = {"prepare", "train", "evaluate"} - set(params)
    if missing:
        raise ValueError(f"{path}: missing sections {sorted(missing)}")
    return params
