"""Generate a synthetic ML monorepo for benchmarking mlaudit (deterministic for a seed).

Shape (fractions of the requested file count): ~55% Python (package modules of realistic
ML code, `__init__.py` files, tests, scripts), ~2% notebooks, ~11% YAML, ~5% JSON, ~2% TOML,
~8% small CSV samples, ~12% Markdown docs, the rest requirement files, SQL, shell scripts
and Dockerfiles. Files are spread over project folders of a monorepo
(`projects/<team>-<name>/src/<pkg>/...`) with a root CI, DVC pipeline, pre-commit config
and so on, so every rule family has something to look at. Module sizes follow a skewed
distribution (many small files, a few long ones), as in real repositories.

    python bench/generate.py OUT [--files 20000] [--seed 0] [--no-git]

OUT must not exist (or be empty). With git (the default) the tree is committed, so
`git ls-files` lists every generated file. Stdlib only; 20,000 files take a few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
from pathlib import Path

TEAMS = ["vision", "nlp", "ranking", "fraud", "forecast", "recsys", "speech", "growth", "ads", "risk",
         "search", "pricing", "churn", "maps", "health", "fintech"]
TOPICS = ["encoder", "classifier", "ranker", "detector", "embedder", "forecaster", "segmenter",
          "tagger", "scorer", "matcher", "retriever", "generator", "regressor", "clusterer"]
WORDS = ["feature", "batch", "sample", "window", "label", "target", "signal", "token", "image",
         "user", "item", "event", "session", "score", "weight", "metric", "split", "shard",
         "record", "frame", "vector", "cache", "config", "stage", "epoch", "step", "loss"]
SUBPKGS = ["data", "features", "models", "training", "evaluation", "serving", "utils", "pipelines",
           "monitoring", "io"]

IMPORT_POOL = [
    "import os", "import json", "import logging", "import math", "import random", "import time",
    "from pathlib import Path", "from dataclasses import dataclass, field",
    "from typing import Any, Iterable, Optional", "import numpy as np", "import pandas as pd",
    "import torch", "import torch.nn as nn", "import torch.nn.functional as F",
    "from torch.utils.data import DataLoader, Dataset",
    "from sklearn.model_selection import train_test_split",
    "from sklearn.metrics import accuracy_score, f1_score, roc_auc_score",
    "from sklearn.pipeline import Pipeline", "from sklearn.preprocessing import StandardScaler",
    "from sklearn.linear_model import LogisticRegression", "import xgboost as xgb",
    "import lightgbm as lgb", "import mlflow", "import yaml", "from omegaconf import DictConfig",
    "import hydra", "from transformers import AutoModel, AutoTokenizer", "import scipy.stats as st",
]

SNIPPETS = [
    '''
def load_{w1}_table(path: str, columns: Optional[list] = None) -> "pd.DataFrame":
    """Read the {w1} table and normalise column names."""
    frame = pd.read_csv(path, usecols=columns)
    frame.columns = [c.strip().lower() for c in frame.columns]
    frame = frame.dropna(subset=["{w2}_id"])
    logger.info("loaded %d rows from %s", len(frame), path)
    return frame
''',
    '''
class {C}Dataset(Dataset):
    """Torch dataset over pre-computed {w1} tensors."""

    def __init__(self, root: str, split: str = "train", transform=None):
        self.root = Path(root)
        self.split = split
        self.transform = transform
        self.index = sorted(self.root.joinpath(split).glob("*.pt"))

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int):
        item = torch.load(self.index[i])
        x, y = item["{w1}"], item["{w2}"]
        if self.transform is not None:
            x = self.transform(x)
        return x, y
''',
    '''
class {C}Model(nn.Module):
    """A small {w1} network with {n} hidden units."""

    def __init__(self, in_dim: int, out_dim: int, hidden: int = {n}, dropout: float = 0.{d}):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden // 2),
            nn.ReLU(),
            nn.Linear(hidden // 2, out_dim),
        )

    def forward(self, x):
        return self.net(x)
''',
    '''
def train_one_epoch(model, loader, optimizer, device="cpu"):
    """One pass over the {w1} loader; returns the mean loss."""
    model.train()
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
        count += len(x)
    return total / max(count, 1)
''',
    '''
def evaluate_{w1}(model, frame, target="{w2}"):
    """Score a fitted model on a held-out frame."""
    preds = model.predict(frame.drop(columns=[target]))
    return {{
        "accuracy": accuracy_score(frame[target], preds),
        "f1": f1_score(frame[target], preds, average="macro"),
    }}
''',
    '''
def split_{w1}(frame, test_size=0.{d}, seed={n}):
    """Train/test split, seeded so runs are comparable."""
    train, test = train_test_split(frame, test_size=test_size, random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True)
''',
    '''
@dataclass
class {C}Config:
    """Hyper-parameters of the {w1} {w2} stage."""

    learning_rate: float = 1e-{d}
    batch_size: int = {n}
    epochs: int = {d}
    {w1}_dim: int = {n}
    tags: list = field(default_factory=list)

    @classmethod
    def from_dict(cls, raw: dict) -> "{C}Config":
        known = {{k: v for k, v in raw.items() if k in cls.__dataclass_fields__}}
        return cls(**known)
''',
    '''
def build_{w1}_pipeline(C=1.0):
    """A scikit-learn pipeline for the {w2} baseline."""
    return Pipeline([
        ("scale", StandardScaler()),
        ("clf", LogisticRegression(C=C, max_iter=500, class_weight="balanced")),
    ])
''',
    '''
def add_{w1}_features(frame, window={d}):
    """Rolling {w1} statistics per {w2}."""
    grouped = frame.groupby("{w2}_id")["{w1}"]
    frame["{w1}_mean_%d" % window] = grouped.transform(lambda s: s.rolling(window, min_periods=1).mean())
    frame["{w1}_std_%d" % window] = grouped.transform(lambda s: s.rolling(window, min_periods=1).std())
    frame["{w1}_lag_1"] = grouped.shift(1)
    return frame.fillna(0.0)
''',
    '''
def log_run(params: dict, metrics: dict, run_name: str = "{w1}-{w2}") -> None:
    """Record a run in the experiment tracker."""
    with mlflow.start_run(run_name=run_name):
        mlflow.log_params(params)
        for key, value in metrics.items():
            mlflow.log_metric(key, float(value))
''',
    '''
def read_config(path):
    """Load a YAML config file into a dict."""
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh) or {{}}
    if "{w1}" not in raw:
        raise ValueError("config %s lacks the {w1} section" % path)
    return raw
''',
    '''
def check_{w1}_frame(frame) -> None:
    """Fail fast on malformed {w1} input."""
    missing = {{"{w1}", "{w2}_id"}} - set(frame.columns)
    if missing:
        raise ValueError(f"missing columns: {{sorted(missing)}}")
    if frame["{w1}"].isna().mean() > 0.{d}:
        raise ValueError("too many missing {w1} values")
    assert (frame["{w1}"] >= 0).all(), "negative {w1}"
''',
    '''
class {C}Scorer:
    """Wrap a trained booster for batch scoring of {w1}s."""

    def __init__(self, model_path: str):
        self.booster = xgb.Booster()
        self.booster.load_model(model_path)

    def score(self, frame):
        matrix = xgb.DMatrix(frame.values, feature_names=list(frame.columns))
        return self.booster.predict(matrix)

    def top_k(self, frame, k: int = {d}):
        scores = self.score(frame)
        return frame.assign(score=scores).nlargest(k, "score")
''',
    '''
def iter_{w1}_batches(items: Iterable, size: int = {n}):
    """Yield lists of at most `size` {w1}s."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
''',
    '''
def psi(expected, actual, bins={d}):
    """Population stability index between two {w1} samples."""
    edges = np.quantile(expected, np.linspace(0, 1, bins + 1))
    e = np.histogram(expected, edges)[0] / len(expected) + 1e-6
    a = np.histogram(actual, edges)[0] / len(actual) + 1e-6
    return float(np.sum((a - e) * np.log(a / e)))
''',
    '''
def encode_texts(texts, model_name="bert-base-uncased", max_length={n}):
    """Embed {w1} texts with a pretrained encoder (mean pooled)."""
    tokenizer = AutoTokenizer.from_pretrained(model_name)
    model = AutoModel.from_pretrained(model_name)
    enc = tokenizer(list(texts), padding=True, truncation=True, max_length=max_length,
                    return_tensors="pt")
    with torch.no_grad():
        out = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1)
    return (out * mask).sum(1) / mask.sum(1)
''',
    '''
def retry(times={d}, delay=0.5):
    """Retry a flaky I/O call a few times before giving up."""
    def wrap(fn):
        def inner(*args, **kwargs):
            for attempt in range(times):
                try:
                    return fn(*args, **kwargs)
                except OSError:
                    if attempt == times - 1:
                        raise
                    time.sleep(delay * (2 ** attempt))
        return inner
    return wrap
''',
]

TEST_SNIPPETS = [
    '''
def test_{w1}_shapes():
    frame = pd.DataFrame({{"{w1}": [1.0, 2.0, 3.0], "{w2}_id": [1, 2, 3]}})
    out = frame.assign(x=frame["{w1}"] * 2)
    assert out.shape == (3, 3)
''',
    '''
def test_{w1}_model_learns():
    rng = np.random.default_rng({n})
    x = rng.normal(size=(200, 4))
    y = (x[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(x, y)
    assert accuracy_score(y, model.predict(x)) > 0.8
''',
    '''
@pytest.mark.parametrize("size", [1, {d}, {n}])
def test_{w1}_batches(size):
    items = list(range(size * 3))
    assert sum(len(b) for b in [items[i:i + size] for i in range(0, len(items), size)]) == len(items)
''',
    '''
class Test{C}(unittest.TestCase):
    def test_roundtrip(self):
        data = {{"{w1}": {n}, "{w2}": "{w1}"}}
        self.assertEqual(json.loads(json.dumps(data)), data)
''',
]


class Gen:
    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.count = 0
        self.bytes = 0

    def write(self, rel: str, content: str | bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
        self.count += 1
        self.bytes += len(data)

    def fill(self, template: str) -> str:
        r = self.rng
        w1, w2 = r.sample(WORDS, 2)
        return template.format(w1=w1, w2=w2, C=w1.capitalize() + w2.capitalize(),
                               n=r.choice([16, 32, 64, 128, 256]), d=r.randint(1, 9))

    def n_snippets(self) -> int:
        # skewed: many short modules, a few long ones (median 4 snippets, ~70 lines)
        return min(16, max(1, int(self.rng.lognormvariate(1.45, 0.7))))

    def module(self) -> str:
        r = self.rng
        imports = ["import logging"] + r.sample(IMPORT_POOL, r.randint(3, 9))
        body = "".join(self.fill(r.choice(SNIPPETS)) for _ in range(self.n_snippets()))
        doc = f'"""{r.choice(WORDS).capitalize()} {r.choice(WORDS)} utilities for the {r.choice(TOPICS)}."""\n\n'
        return (doc + "\n".join(dict.fromkeys(imports)) + "\n\nlogger = logging.getLogger(__name__)\n"
                + body)

    def test_module(self, pkg: str, sub: str) -> str:
        r = self.rng
        head = ("import json\nimport unittest\n\nimport numpy as np\nimport pandas as pd\nimport pytest\n"
                "from sklearn.linear_model import LogisticRegression\n"
                "from sklearn.metrics import accuracy_score\n\n"
                f"from {pkg}.{sub} import {r.choice(WORDS)}_utils  # noqa: F401\n")
        return head + "".join(self.fill(r.choice(TEST_SNIPPETS)) for _ in range(r.randint(1, 5)))

    def script(self, pkg: str) -> str:
        return (f'"""Entry point: train the model from a config file."""\n\nimport argparse\n\n'
                f"from {pkg}.training import loop\n\n\ndef main():\n"
                "    parser = argparse.ArgumentParser()\n"
                '    parser.add_argument("--config", default="configs/train.yaml")\n'
                '    parser.add_argument("--seed", type=int, default=42)\n'
                "    args = parser.parse_args()\n    loop.run(args.config, seed=args.seed)\n\n\n"
                'if __name__ == "__main__":\n    main()\n')

    def yaml_config(self) -> str:
        r = self.rng
        lines = [f"# {r.choice(WORDS)} stage settings", "model:",
                 f"  name: {r.choice(TOPICS)}", f"  hidden: {r.choice([64, 128, 256])}",
                 f"  dropout: 0.{r.randint(1, 5)}", "training:",
                 f"  lr: {r.choice(['1e-3', '3e-4', '1e-4'])}", f"  epochs: {r.randint(3, 50)}",
                 f"  batch_size: {r.choice([32, 64, 128])}", f"  seed: {r.randint(0, 9999)}", "data:",
                 f"  path: data/{r.choice(WORDS)}.csv", "  columns:"]
        lines += [f"    - {w}" for w in r.sample(WORDS, r.randint(2, 8))]
        return "\n".join(lines) + "\n"

    def json_file(self) -> str:
        r = self.rng
        data = {w: round(r.random(), 4) for w in r.sample(WORDS, r.randint(3, 10))}
        data["version"] = f"{r.randint(0, 3)}.{r.randint(0, 20)}"
        return json.dumps(data, indent=2) + "\n"

    def csv_file(self) -> str:
        r = self.rng
        cols = r.sample(WORDS, r.randint(3, 7))
        rows = [",".join(cols)]
        for _ in range(r.randint(10, 60)):
            rows.append(",".join(f"{r.random():.4f}" for _ in cols))
        return "\n".join(rows) + "\n"

    def markdown(self, title: str) -> str:
        r = self.rng
        paras = []
        for _ in range(r.randint(2, 8)):
            words = [r.choice(WORDS) for _ in range(r.randint(20, 80))]
            paras.append(" ".join(words).capitalize() + ".")
        return f"# {title}\n\n" + "\n\n".join(paras) + "\n\n## Usage\n\n```bash\nmake train\n```\n"

    def notebook(self) -> str:
        r = self.rng
        cells = [{"cell_type": "markdown", "metadata": {}, "source": [f"# Exploring {r.choice(WORDS)}s"]}]
        for _ in range(r.randint(3, 12)):
            code = self.fill(r.choice(SNIPPETS)).strip().splitlines(keepends=True)
            outputs = []
            if r.random() < 0.3:
                outputs = [{"output_type": "stream", "name": "stdout", "text": ["0.8123\n"]}]
            cells.append({"cell_type": "code", "execution_count": None, "metadata": {},
                          "outputs": outputs, "source": code})
        nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
              "nbformat": 4, "nbformat_minor": 5}
        return json.dumps(nb, indent=1) + "\n"

    def toml_file(self, name: str) -> str:
        return (f'[project]\nname = "{name}"\nversion = "0.{self.rng.randint(1, 9)}.0"\n'
                'requires-python = ">=3.10"\ndependencies = [\n  "numpy==1.26.4",\n  "pandas==2.2.2",\n'
                '  "scikit-learn==1.5.0",\n  "torch==2.3.1",\n]\n\n[project.optional-dependencies]\n'
                'test = ["pytest==8.2.0", "pytest-cov==5.0.0"]\n\n[tool.ruff]\nline-length = 100\n\n'
                '[tool.pytest.ini_options]\ntestpaths = ["tests"]\naddopts = "--cov"\n')


ROOT_FILES = {
    "README.md": "# ML monorepo\n\nModels for every team.\n\n## Setup\n\n```bash\npip install -e projects/<name>\n"
                 "make test\n```\n\n## Layout\n\n- `projects/`: one folder per model\n- `libs/`: shared code\n",
    "LICENSE": "MIT License\n\nCopyright (c) 2024 Example\n",
    ".gitignore": "__pycache__/\n*.pyc\n.venv/\n/data/raw/\n/models/\n/checkpoints/\nmlruns/\n*.pkl\n*.pt\n",
    ".gitattributes": "*.ipynb filter=nbstripout\n",
    "pyproject.toml": '[tool.ruff]\nline-length = 100\n\n[tool.coverage.run]\nbranch = true\n',
    "Makefile": "train:\n\tdvc repro\n\ntest:\n\tpytest -q\n\nlint:\n\truff check .\n",
    "Dockerfile": "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -e projects/churn-scorer\n"
                  'CMD ["python", "-m", "serving.app"]\n',
    "dvc.yaml": "stages:\n  prepare:\n    cmd: python scripts/prepare.py\n    deps: [data/raw]\n"
                "    outs: [data/prepared]\n  train:\n    cmd: python scripts/train.py\n"
                "    deps: [data/prepared]\n    params: [training]\n    metrics: [metrics.json]\n",
    "params.yaml": "training:\n  lr: 0.001\n  epochs: 10\n  seed: 42\n",
    ".dvc/config": "[core]\n    remote = storage\n['remote \"storage\"']\n    url = s3://example-ml/dvc\n",
    ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
                              "    rev: v0.5.0\n    hooks:\n      - id: ruff\n"
                              "  - repo: https://github.com/kynan/nbstripout\n    rev: 0.7.1\n"
                              "    hooks:\n      - id: nbstripout\n",
    ".github/CODEOWNERS": "* @example/ml-platform\n",
    ".github/dependabot.yml": "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n"
                              "    schedule:\n      interval: weekly\n",
    ".github/pull_request_template.md": "## What\n\n## Why\n\n## Checklist\n- [ ] tests\n",
    ".github/ISSUE_TEMPLATE/bug.md": "---\nname: Bug\n---\n\nWhat happened?\n",
    ".github/workflows/ci.yml": (
        "name: ci\non:\n  push:\n  pull_request:\n  schedule:\n    - cron: '0 3 * * 1'\njobs:\n"
        "  test:\n    runs-on: ${{ matrix.os }}\n    strategy:\n      matrix:\n"
        "        os: [ubuntu-latest, macos-latest]\n        python: ['3.10', '3.11', '3.12']\n"
        "    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-python@v5\n"
        "        with:\n          python-version: ${{ matrix.python }}\n"
        "      - run: pip install -e .[test]\n      - run: ruff check .\n      - run: pytest --cov\n"
        "      - run: pip-audit\n  train:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: dvc repro\n"),
}


def generate(root: Path, n_files: int, seed: int) -> Gen:
    g = Gen(root, seed)
    r = g.rng
    for rel, content in ROOT_FILES.items():
        g.write(rel, content)
    budget = n_files - g.count
    # target counts per kind
    kinds = {"py": 0.55, "ipynb": 0.02, "yaml": 0.11, "json": 0.05, "toml": 0.02, "csv": 0.08,
             "md": 0.12, "other": 0.05}
    want = {k: int(budget * f) for k, f in kinds.items()}
    want["py"] += budget - sum(want.values())
    # projects: each gets a fixed skeleton, then files are dealt round-robin
    n_projects = max(1, budget // 450)
    projects = []
    for i in range(n_projects):
        name = f"{TEAMS[i % len(TEAMS)]}-{TOPICS[(i * 7) % len(TOPICS)]}{'' if i < len(TEAMS) else i}"
        projects.append((name, name.replace("-", "_")))
    done = {k: 0 for k in want}
    counters: dict[str, int] = {}

    def uniq(key: str) -> int:
        counters[key] = counters.get(key, 0) + 1
        return counters[key]

    for name, pkg in projects:  # skeleton
        base = f"projects/{name}"
        g.write(f"{base}/pyproject.toml", g.toml_file(name))
        done["toml"] += 1
        g.write(f"{base}/README.md", g.markdown(name))
        done["md"] += 1
        g.write(f"{base}/requirements.txt", "numpy==1.26.4\npandas==2.2.2\nscikit-learn==1.5.0\n")
        done["other"] += 1
        g.write(f"{base}/src/{pkg}/__init__.py", f'"""{name}."""\n\n__version__ = "0.1.0"\n')
        done["py"] += 1
        for sub in SUBPKGS:
            g.write(f"{base}/src/{pkg}/{sub}/__init__.py", "")
            done["py"] += 1
        g.write(f"{base}/scripts/train.py", g.script(pkg))
        done["py"] += 1
        g.write(f"{base}/tests/__init__.py", "")
        done["py"] += 1
    i = 0
    while any(done[k] < want[k] for k in want):
        name, pkg = projects[i % len(projects)]
        i += 1
        base = f"projects/{name}"
        for kind in want:
            if done[kind] >= want[kind]:
                continue
            reps = max(1, round(want[kind] / max(1, want["ipynb"])))  # deal in proportion
            for _ in range(min(reps, want[kind] - done[kind])):
                n = uniq(f"{name}/{kind}")
                if kind == "py":
                    sub = SUBPKGS[n % len(SUBPKGS)]
                    if n % 5 == 0:
                        g.write(f"{base}/tests/{sub}/test_{r.choice(WORDS)}_{n}.py", g.test_module(pkg, sub))
                    else:
                        g.write(f"{base}/src/{pkg}/{sub}/{r.choice(WORDS)}_{n}.py", g.module())
                elif kind == "ipynb":
                    g.write(f"{base}/notebooks/{n:02d}_{r.choice(WORDS)}.ipynb", g.notebook())
                elif kind == "yaml":
                    g.write(f"{base}/configs/{r.choice(WORDS)}/{r.choice(TOPICS)}_{n}.yaml", g.yaml_config())
                elif kind == "json":
                    g.write(f"{base}/configs/params/{r.choice(WORDS)}_{n}.json", g.json_file())
                elif kind == "toml":
                    g.write(f"{base}/configs/toml/{r.choice(WORDS)}_{n}.toml",
                            f'[{r.choice(WORDS)}]\nenabled = true\nthreshold = 0.{r.randint(1, 9)}\n')
                elif kind == "csv":
                    g.write(f"{base}/data/samples/{r.choice(WORDS)}_{n}.csv", g.csv_file())
                elif kind == "md":
                    g.write(f"{base}/docs/{r.choice(WORDS)}_{n}.md", g.markdown(f"{r.choice(WORDS)} notes"))
                else:
                    ext, body = r.choice([
                        ("sql", f"SELECT {r.choice(WORDS)}_id, count(*) FROM events GROUP BY 1;\n"),
                        ("sh", "#!/usr/bin/env bash\nset -euo pipefail\npython scripts/train.py \"$@\"\n"),
                        ("txt", "\n".join(r.sample(WORDS, 5)) + "\n"),
                        ("cfg", f"[{r.choice(WORDS)}]\nvalue = {r.randint(0, 99)}\n"),
                    ])
                    g.write(f"{base}/misc/{r.choice(WORDS)}_{n}.{ext}", body)
                done[kind] += 1
    return g


def git_commit(root: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "Generated ML monorepo"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--files", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-git", action="store_true", help="do not git init/commit the tree")
    args = ap.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        print(f"generate: {args.out} exists and is not empty", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    g = generate(args.out, args.files, args.seed)
    if not args.no_git:
        git_commit(args.out)
    print(f"generated {g.count} files ({g.bytes / 1e6:.1f} MB) in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
