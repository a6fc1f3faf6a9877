"""Train the default-risk model.

    python -m creditrisk.train --data data/raw/loans.csv --n-estimators 400 --max-depth 8
"""

from __future__ import annotations

import argparse
import json

import joblib
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score

from creditrisk.data import TARGET, load_loans, split
from creditrisk.features import build_features


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the loan default model")
    parser.add_argument("--data", default="data/raw/loans.csv")
    parser.add_argument("--n-estimators", type=int, default=300)
    parser.add_argument("--max-depth", type=int, default=None)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", default="models/model.joblib")
    args = parser.parse_args()

    train, test = split(load_loans(args.data), seed=args.seed)
    model = RandomForestClassifier(n_estimators=args.n_estimators, max_depth=args.max_depth,
                                   random_state=args.seed, n_jobs=-1)
    model.fit(build_features(train), train[TARGET])

    auc = roc_auc_score(test[TARGET], model.predict_proba(build_features(test))[:, 1])
    print(json.dumps({"roc_auc": round(auc, 4)}))
    importances = sorted(zip(build_features(test).columns, model.feature_importances_), key=lambda x: -x[1])
    print("top features:", importances[:5])
    joblib.dump(model, args.out)


if __name__ == "__main__":
    main()
