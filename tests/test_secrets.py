"""The secret scanner (auditor/facts/secrets.py): recall on real shapes, precision on look-alikes.

Token strings are assembled at run time ("ghp_" + body) so this file does not itself look
like a leak to other scanners; the values are random-looking but not real credentials.
"""

from __future__ import annotations

import base64
import json
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.facts.secrets import SCAN_MAX_BYTES, extract, file_kind, is_secret_name, looks_random, scan_text
from auditor.project import Project
from tests.helpers import make_repo

_rng = random.Random(1234)


def rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


AWS_ID = "AKIA" + "Q3ZJ7W2XK5MBNR4T"             # 16 chars of base32
AWS_SECRET = "kT9s8Jd72hLm3QpX0vB5nW4rZ1yC6eFg7HiJkLmN"
GH = "ghp_" + "aB3dE6fG9hI2jK5lM8nO1pQ4rS7tU0vW3xY6"
GL = "glpat-" + "xY7kQ2mN9pR4sT6vW8zB"
SLACK = "xoxb-" + "123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx"
HF = "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNm12345678"
OPENAI = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0f"
GOOGLE = "AIza" + "SyD4f8Kq2mN7pR1sT6vW9zB3cE5gH0jL2nQ"
PEM_BODY = "MIIEowIBAAKCAQEA" + rand(48, string.ascii_letters + string.digits + "+/")


def kinds(path: str, text: str) -> list[str]:
    return [f.kind for f in scan_text(path, text)]


def lines(path: str, text: str) -> list[int]:
    return [f.line for f in scan_text(path, text)]


# ----------------------------------------------------------------------------- recall
@pytest.mark.parametrize("token, kind", [
    (AWS_ID, "AWS access key ID"),
    (GH, "GitHub token"),
    ("github_pat_" + rand(22) + "_" + rand(59), "GitHub fine-grained token"),
    (GL, "GitLab token"),
    (SLACK, "Slack token"),
    (HF, "Hugging Face token"),
    (OPENAI, "OpenAI API key"),
    ("sk-" + rand(48), "OpenAI API key"),
    (GOOGLE, "Google API key"),
])
def test_provider_tokens_are_found_in_any_context(token, kind):
    # in a plain string with an innocuous name: the format alone identifies the token
    assert kinds("src/client.py", f'client = Client("{token}")\n') == [kind]
    # in a shell script and a YAML value
    assert kinds("deploy.sh", f"curl -H 'Authorization: Bearer {token}' https://api.acme.io\n") == [kind]
    assert kinds("conf/settings.yaml", f"auth:\n  value: {token}\n") == [kind]


def test_private_key_block_is_found_with_key_material_only():
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n"
    assert kinds("deploy/id_rsa", pem) == ["private key"]
    # a service-account JSON with the key on one line and escaped newlines
    sa = json.dumps({"type": "service_account",
                     "private_key": f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----\n"})
    assert kinds("gcp-sa.json", sa) == ["private key"]
    # the header string alone (parsers, docs) is not a key
    assert kinds("src/keys.py", 'if text.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    pass\n') == []
    assert kinds("README.md", "```\n-----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----\n```\n") == []


@pytest.mark.parametrize("path, text", [
    ("src/config.py", f'AWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"\n'),
    ("src/config.py", 'api_key: str = "Zx81kLmP0qRsT2uVwXy3"\n'),
    ("src/client.py", 'self.client_secret = \'Qw3rTy8UiOp2AsDf6GhJ\'\n'),
    ("src/client.py", 'resp = post(url, json={"apiKey": "Qw3rTy8UiOp2AsDf6GhJ"})\n'),
    ("src/app.go", 'authToken := "Qw3rTy8UiOp2AsDf6GhJ"\n'),
    (".env", f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"),
    ("config/prod.env", f"export DB_PASSWORD={AWS_SECRET}\n"),
    ("params.yaml", "wandb:\n  api_key: 8f2a9c1e4b7d3a6f0e5c2b9d8a7f6e5d4c3b2a19\n"),
    ("setup.cfg", "[db]\npassword = Hx82kdL0qpZmW3vB5n\n"),
    ("Dockerfile", f"FROM python:3.11\nENV MLFLOW_TRACKING_PASSWORD={AWS_SECRET}\n"),
])
def test_high_entropy_values_assigned_to_secret_names(path, text):
    assert kinds(path, text) == ["high-entropy secret"]


def test_notebook_source_with_escaped_quotes():
    nb = json.dumps({"cells": [{"cell_type": "code", "source": ["import os\n", 'API_KEY = "Zx81kLmP0qRsT2uVwXy3"\n'],
                                "outputs": []}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    assert kinds("notebooks/explore.ipynb", nb) == ["high-entropy secret"]


def test_password_in_url():
    text = 'DB_URL = "postgresql://svc:Hx82kdL0qpZmW3@db.prod.internal:5432/churn"\n'
    assert kinds("src/db.py", text) == ["password in URL"]
    # local databases, placeholders and short defaults are not findings
    assert kinds("src/db.py", 'URL = "postgresql://svc:Hx82kdL0qpZmW3@localhost:5432/churn"\n') == []
    assert kinds("src/db.py", 'URL = "postgresql://${USER}:${PASSWORD}@db/churn"\n') == []
    assert kinds("compose.yaml", "MLFLOW_BACKEND: postgresql://mlflow:mlflow@postgres/mlflow\n") == []


def test_line_numbers_and_one_finding_per_line():
    text = "x = 1\n\n" + f'TOKEN = "{GH}"  # github token {GH}\n' + "y = 2\n" + f'k = "{AWS_ID}"\n'
    found = scan_text("src/a.py", text)
    assert [(f.line, f.kind) for f in found] == [(3, "GitHub token"), (5, "AWS access key ID")]


def test_evidence_is_redacted():
    text = (f'a = "{GH}"\nb = "{OPENAI}"\nAWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"\n'
            f"c = 'postgresql://svc:Hx82kdL0qpZmW3@db.prod.internal/x'\n")
    found = scan_text("src/a.py", text)
    assert len(found) == 4
    for f in found:
        for secret in (GH[4:], OPENAI[3:], AWS_SECRET, "Hx82kdL0qpZmW3"):
            assert secret[:8] not in f.detail
        assert "redacted" in f.detail
    assert "`ghp_" in found[0].detail  # the public format prefix is shown, nothing more


# ----------------------------------------------------------------------------- precision
@pytest.mark.parametrize("path, text", [
    # placeholders
    ("src/config.py", 'api_key = "YOUR_API_KEY_HERE_1234"\n'),
    ("src/config.py", 'API_TOKEN = "<your-token-goes-here-123>"\n'),
    (".env.example", "OPENAI_API_KEY=sk-...\nHF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"),
    (".env", "API_KEY=${API_KEY}\nSECRET_KEY=changeme\nDB_PASSWORD=\n"),
    ("src/config.py", 'token = os.environ["HF_TOKEN"]\npassword = os.getenv("DB_PASSWORD", "")\n'),
    ("src/config.py", 'api_key = settings.openai_api_key_value_from_vault\n'),
    (".github/workflows/ci.yml", "env:\n  HF_TOKEN: ${{ secrets.HF_TOKEN }}\n  PYPI_PASSWORD: ${{ secrets.PYPI }}\n"),
    ("config.yaml", "db:\n  password: '{{ vault_db_password_for_prod }}'\n"),
    # AWS's documented example keys
    ("docs/aws.md", "AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
    ("src/aws.py", 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n'),
    # local defaults in compose/CI service definitions
    ("docker-compose.yml", ("services:\n  db:\n    image: postgres:16\n    environment:\n"
                            "      POSTGRES_PASSWORD: postgres\n      MINIO_ROOT_PASSWORD: minio123\n")),
    (".gitlab-ci.yml", "services:\n  - postgres\nvariables:\n  POSTGRES_PASSWORD: runner-password\n"),
    # secret-like words that are not credentials
    ("src/nlp.py", ('tokenizer = "bert-base-uncased"\nmax_tokens = "1234567890abcdefABCDEF"\n'
                    'pad_token = "<|padding_token_here|>"\n')),
    ("src/db.py", 'primary_key = "customer_id_2024_v2_x9"\ncache_key = "a3f9c2e71b8d4f60a3f9c2e71b8d4f60"\n'),
    ("src/cfg.py", ('secret_name = "projects/123/secrets/hf-token/versions/latest"\n'
                    'api_key_env = "OPENAI_API_KEY_PRODUCTION"\ntoken_path = "/var/run/secrets/token.jwt"\n')),
    ("src/cfg.py", 'key = "8f2a9c1e4b7d3a6f0e5c2b9d8a7f6e5d4c3b2a19"\n'),   # a bare `key` is generic
    ("src/cfg.py", 'password = "MySecretPassword"\npassword = "correct-horse-battery-staple"\n'),
    ("src/cfg.py", 'client_token = "3f2b8c1e-9a7d-4e6f-8b2a-1c3d5e7f9a0b"\n'),   # UUIDs are identifiers
    # hashes and digests under non-secret names
    ("Dockerfile", ("FROM python:3.11-slim@sha256:4c2d7e2f63d6b6c0ce3c64ad2c9f2f8a0e19a1c0fd4e8b1b2a1b5d6c7e8f9a0b\n"
                    "ENV GPG_KEY A035C8C19219BA821ECEA86B64E628F8D684696D\n"
                    "ENV PYTHON_SHA256=8b5e3a9f4c2d7e2f63d6b6c0ce3c64ad2c9f2f8a0e19a1c0fd4e8b1b\n")),
    ("requirements.txt", "numpy==1.26.4 --hash=sha256:3f2a9c1e4b7d3a6f0e5c2b9d8a7f6e5d4c3b2a193f2a9c1e4b7d3a6f0e5c2b9d\n"),
    # code that handles keys and tokens without holding any (seen in popular libraries)
    ("src/loader.py", "if key_node.tag == 'tag:yaml.org,2002:value':\n    pass\n"),
    ("src/loader.py", 'if attr_key == "pipeline_definition_s3_location":\n    pass\n'),
    ("src/states.py", 'WaitForTaskToken = "waitForTaskToken"\n'),
    ("src/types.py", 'HASHES = {\n    "AWS::ApiGateway::ApiKey": "48205d4ffd7feba3",\n    "AWS::IAM::AccessKey": "62d91b17309e76c8",\n}\n'),
    # pagination tokens, resource names and timestamps (seen in cloud SDK docs)
    ("docs/api.md", '{"NextToken": "eyJOZXh0VG9rZW4iOiBudWxsLCAiYm90b190cnVuY2F0ZV9hbW91bnQiOiAyfQ=="}\n'),
    ("docs/api.md", '{"encryptionKey": "arn:aws:kms:us-west-2:417498243647:key/c9fe2447-0795-4fda"}\n'),
    ("conf.yaml", "token_expiration: 2022-03-16T03:45:09+00:00\n"),
    # CSS classes of scikit-learn's HTML repr in notebook outputs
    ("nb.ipynb", '"<div class=\\"sk-toggleable__content-fitted-estimator-label-container\\">"\n'),
    # test fixtures named as fakes, and allow-list pragmas
    ("src/demo.py", f'FAKE_GITHUB_TOKEN = "{GH}"\n'),
    ("src/demo.py", f'token = "{GH}"  # pragma: allowlist secret\n'),
    ("src/demo.py", f'token = "{GH}"  # gitleaks:allow\n'),
    ("tests/test_client.py", 'password = "Zx81kLmP0qRsT2uVwXy3"\n'),   # generic values in tests are fixtures
    # filler tokens
    ("src/demo.py", 'hf = "hf_' + "a" * 34 + '"\n'),
])
def test_no_false_positive(path, text):
    assert scan_text(path, text) == []


def test_files_named_as_examples_or_fakes_are_skipped():
    env = f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\nTOKEN={GH}\n"
    assert len(scan_text(".env", env)) == 2
    for name in (".env.example", "config/.env.sample", "tests/fake_credentials.env", "deploy/secrets.template.yaml"):
        assert scan_text(name, env) == []


def test_provider_token_in_tests_is_still_reported():
    assert kinds("tests/test_client.py", f'token = "{GH}"\n') == ["GitHub token"]


def test_hashes_in_lock_files_are_not_findings():
    rng = random.Random(7)
    body = "\n".join(
        f'{{file = "pkg{i}-1.0-py3-none-any.whl", hash = "sha256:{rng.getrandbits(256):064x}"}},' for i in range(2000))
    integrity = "\n".join(
        f'"integrity": "sha512-{base64.b64encode(rng.randbytes(64)).decode()}",' for i in range(2000))
    assert scan_text("poetry.lock", body) == []
    assert scan_text("package-lock.json", integrity) == []


def test_base64_images_in_notebooks_are_not_findings():
    rng = random.Random(11)
    img = base64.b64encode(rng.randbytes(600_000)).decode()
    # plant provider prefixes inside the base64 run: boundaries must reject them
    img = img[:1000] + AWS_ID + img[1000:5000] + GH + img[5000:]
    nb = json.dumps({"cells": [{"cell_type": "code", "source": ["plot()"],
                                "outputs": [{"data": {"image/png": img}, "output_type": "display_data"}]}]})
    assert scan_text("notebooks/eda.ipynb", nb) == []


def test_uuids_in_notebook_metadata_are_not_findings():
    nb = json.dumps({"cells": [{"id": "3f2b8c1e-9a7d-4e6f-8b2a-1c3d5e7f9a0b", "cell_type": "code",
                                "metadata": {"execution": {"iopub.status.busy": "2024-01-01T10:00:00.123456Z"}},
                                "source": ["x = 1"], "outputs": []}]})
    assert scan_text("nb.ipynb", nb) == []


# ----------------------------------------------------------------------------- helpers
def test_name_and_value_heuristics():
    assert is_secret_name("AWS_SECRET_ACCESS_KEY") and is_secret_name("clientSecret")
    assert is_secret_name("HF_TOKEN") and is_secret_name("db_password") and is_secret_name("APIKEY")
    assert not is_secret_name("key") and not is_secret_name("tokenizer") and not is_secret_name("max_tokens")
    assert not is_secret_name("public_key") and not is_secret_name("password_file")
    assert looks_random("kT9s8Jd72hLm3QpX0vB5") and looks_random("8f2a9c1e4b7d3a6f0e5c2b9d8a7f6e5d")
    assert not looks_random("8f2a9c1e4b7d3a6f")           # short hex: an id or a digest
    assert not looks_random("waitForTaskToken2") and not looks_random("tag:yaml.org,2002:value")
    assert not looks_random("pipeline_definition_s3_location")
    assert is_secret_name("OPENAI_KEY") and is_secret_name("azureStorageKey") and is_secret_name("self.api_key")
    assert not is_secret_name("attr_key") and not is_secret_name("key_node.tag")
    assert not looks_random("short1A") and not looks_random("2024-01-01T10:00:00")
    assert not looks_random("aaaaaaaaaaaaaaaa1")
    assert file_kind("model.pkl") == "binary" and file_kind(".env.local") == "config"
    assert file_kind("src/a.py") == "code" and file_kind("Dockerfile.gpu") == "config"


# ----------------------------------------------------------------------------- the fact
def test_extract_scans_tracked_text_files_only(tmp_path):
    repo = make_repo(tmp_path, {
        "src/a.py": f'TOKEN = "{GH}"\n',
        "model.pkl": b"\x80\x04" + GH.encode() + b"\x00" * 10,        # binary: never read
        "blob.dat": b"\x00\x01" + GH.encode(),                          # unknown extension, binary content
        ".gitignore": "local.env\n",
        "local.env": f"TOKEN={GH}\n",                                  # ignored: not tracked
    }, use_git=True)
    (repo / "untracked.py").write_text(f'TOKEN = "{GH}"\n')             # present but not tracked
    project = Project(repo)
    scan = extract(project)
    assert [(f.path, f.line) for f in scan.findings] == [("src/a.py", 1)]
    assert not any("binary" in p.detail for p in project.problems)


def test_extract_outside_git_scans_present_files(tmp_path):
    repo = make_repo(tmp_path, {"a.yaml": f"token: {GH}\n", "b.py": "x = 1\n"})
    scan = extract(Project(repo))
    assert [f.path for f in scan.findings] == ["a.yaml"] and scan.scanned == 2


def test_large_text_files_become_problems_large_data_files_do_not(tmp_path):
    big = "x = 1\n" * (SCAN_MAX_BYTES // 6 + 10)
    repo = make_repo(tmp_path, {"src/huge.py": big, "data/big.csv": "a,b\n" * (SCAN_MAX_BYTES // 4 + 10)})
    project = Project(repo)
    scan = extract(project)
    assert scan.skipped_large == ["src/huge.py"]
    details = {p.path: p.detail for p in project.problems}
    assert "not scanned for secrets" in details["src/huge.py"] and "data/big.csv" not in details


def test_deleted_tracked_file_is_skipped(tmp_path):
    repo = make_repo(tmp_path, {"a.py": f'T = "{GH}"\n', "b.py": "x = 1\n"}, use_git=True)
    (repo / "a.py").unlink()
    assert extract(Project(repo)).findings == []


# ----------------------------------------------------------------------------- properties

_noise = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)


@settings(max_examples=150, deadline=None)
@given(before=_noise, after=_noise, path=st.sampled_from(["a.py", "c.yaml", ".env", "n.ipynb", "x"]))
def test_any_text_scans_and_a_planted_token_is_found_redacted(before, after, path):
    scan_text(path, before + after)                      # never raises
    text = before + "\n" + f'client = Client("{GH}")' + "\n" + after
    found = scan_text(path, text)
    planted = before.count("\n") + 2
    assert any(f.line == planted and f.kind == "GitHub token" for f in found) or \
        any(m in text.lower() for m in ("fake", "dummy", "mock", "example", "allowlist", "gitleaks"))
    assert all(GH[4:] not in f.detail for f in found)
