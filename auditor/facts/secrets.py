"""Secret scanner: credentials committed in tracked text files (the `secrets` fact, VCS005).

A leaked credential is the one repository-hygiene failure that is exploitable the moment it
is pushed, so this scanner aims for high precision on the shapes that matter:

1. provider-format tokens whose prefix alone identifies them (AWS `AKIA…`, GitHub `ghp_…`
   and `github_pat_…`, GitLab `glpat-…`, Slack `xox?-…` and webhooks, Hugging Face `hf_…`,
   OpenAI `sk-…`, Stripe live keys, Google `AIza…`, Azure storage `AccountKey=`);
2. private key blocks (a PEM header followed by key material, not just the header string);
3. high-entropy literals assigned to secret-like names (`api_key = "…"`, `PASSWORD: …`,
   `"client_secret": "…"`, `export HF_TOKEN=…`) and passwords embedded in URLs.

Speed: files are skipped by extension and size without being read, and binary content is
sniffed from the first 8 KiB. Provider patterns begin with a literal prefix, which `re`
finds about as fast as `str.find`; name=value parsing runs only on lines that hold an anchor
word (`key`, `secret`, `token`, `passw`...), found by substring scans of the lower-cased
text; URL passwords are looked for only after a `://`. Every repetition is bounded, so a
crafted line cannot make a pattern backtrack for long. About 50 MB/s of text on one core.

Precision decisions (each one is tested in tests/test_secrets.py; the scanner was also run
over 240 MB of installed packages, where the remaining findings are example credentials in
cloud SDK docs and test certificates):
- placeholders are not secrets: `YOUR_API_KEY`, `changeme`, `<token>`, `${VAR}`, `{{ … }}`,
  `os.environ[…]`, `xxxx`, `****`, `...`, and values containing `example`, `dummy`, `fake`,
  `placeholder`, `sample`, `redacted` (AWS's documented `AKIA…EXAMPLE` key included);
- a line that names its value as fake (`fake`, `dummy`, `mock`, `example`, `not-a-real`) or
  carries an allow-list pragma (`pragma: allowlist secret`, `gitleaks:allow`) is skipped, and
  so is a file whose name says so (`.env.example`, `fake_credentials.json`, `*.template.*`);
- under test folders (`tests/`, `fixtures/`…) only provider-format tokens and key blocks
  are reported; a high-entropy string assigned to `password` in a test is a fixture;
- names are split into words and only the last dotted part counts: `token`, `secret`,
  `password`, `credentials` are secret-like; `key` only next to a credential or provider word
  (`api_key`, `SECRET_ACCESS_KEY`, `storage_key`, `OPENAI_KEY`, not `attr_key`, `sort_key`,
  `GPG_KEY`, `public_key`); `tokenizer`, `max_tokens`, `pad_token`, `NextToken` and names
  that point at a secret (`secret_name`, `api_key_env`, `token_path`) are not;
- salted password hashes (`sha1:salt:digest` in a Jupyter config, Django's
  `pbkdf2_sha256$...`) are what configs store instead of a password: not reported;
- values must look random: 16+ characters, letters mixed with digits or mixed case, Shannon
  entropy >= 3 bits per character, and not made of words (`waitForTaskToken`,
  `tag:yaml.org,2002:str`); paths, URLs, ARNs, timestamps, UUIDs (run, tenant and client ids)
  and hex strings under 32 characters (ids and short digests) are not reported;
- code files need a quoted literal (`token = settings.token` is a reference); config files
  (`.env`, YAML, INI, shell, Dockerfile) may hold unquoted values;
- hashes in lock files, Dockerfile digests and base64 notebook images have no secret-like
  name and fail the provider patterns' word boundaries, so they are never reported;
- short well-known local defaults in compose/CI service definitions (`postgres`, `minio123`)
  are below the length floor and listed as known defaults besides.

Every finding is redacted: evidence names the file, the line, the kind of credential and
at most its public format prefix (e.g. `ghp_`), never any of the secret itself.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

SCAN_MAX_BYTES = 4 * 1024 * 1024      # larger files are not scanned (a problem if text-like)
MIN_SECRET_LEN = 16
MIN_URL_PASSWORD_LEN = 12
MIN_ENTROPY = 3.0
MIN_HEX_SECRET_LEN = 32               # hex literals shorter than 128 bits are ids or digests
MAX_FINDINGS = 200

# --------------------------------------------------------------------------- file classes
# Never read: binary formats (models, archives, media, compiled code, office documents).
BINARY_EXT = frozenset("""
png jpg jpeg gif bmp ico icns tif tiff webp avif heic psd xcf eps
mp3 mp4 wav flac ogg m4a avi mov mkv webm
zip gz tgz bz2 xz 7z tar rar zst lz4 jar war whl egg
pdf doc docx xls xlsx xlsm ppt pptx odt ods odp
ttf otf woff woff2 eot
pyc pyo pyd so dll dylib exe o a lib class obj wasm
pkl pickle p joblib pt pth ckpt bin h5 hdf5 hdf keras onnx pb tflite safetensors
npy npz parquet feather arrow tfrecord tfrecords db sqlite sqlite3 mat sav dta rds rdata
avro orc lmdb mdb idx pack
""".split())
# Data-like text: scanned when small, silently skipped when large (VCS004 judges their size).
DATA_EXT = frozenset("csv tsv jsonl ndjson txt log tab dat psv".split())
# Source code: a secret must be a quoted literal (an unquoted value is a reference).
CODE_EXT = frozenset("""
py pyi pyx ipynb js mjs cjs jsx ts tsx java scala kt kts go rs rb php cs c cc cpp h hpp
r jl swift m lua sql sc groovy dart pl ex exs clj json json5 md markdown rst html htm
xml tex adoc vue svelte
""".split())
# Config and scripts: `NAME=value` and `name: value` without quotes are literal values.
CONFIG_EXT = frozenset("""
env yaml yml ini cfg conf config properties toml sh bash zsh fish ps1 bat cmd tf tfvars
hcl nix dockerfile containerfile mk
""".split())
CONFIG_NAMES = frozenset("""
dockerfile containerfile makefile gnumakefile justfile procfile jenkinsfile vagrantfile
.env .envrc .netrc .pgpass .npmrc .pypirc .dockercfg credentials
""".split())
TEST_DIRS = frozenset("tests test testing fixtures fixture testdata test_data test-data "
                      "__fixtures__ __tests__ spec specs".split())

# --------------------------------------------------------------------------- detectors
# Provider patterns start with their literal prefix (so `re` can skip ahead fast); the left
# boundary (not inside a base64 or identifier run) is checked in Python on each match.
_LEFT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/_-")
_E = r"(?![A-Za-z0-9])"          # right boundary


@dataclass(frozen=True)
class _Provider:
    kind: str
    anchor: str          # literal substring that must occur in the file (case-sensitive)
    shown: int           # length of the public format prefix shown in evidence (`ghp_`)
    rx: re.Pattern[str]
    mixed: bool = False  # the body must mix letters and digits (rules out words/CSS classes)


PROVIDERS: tuple[_Provider, ...] = (
    _Provider("AWS access key ID", "AKIA", 4, re.compile(r"AKIA[A-Z2-7]{16}" + _E)),
    _Provider("AWS temporary access key ID", "ASIA", 4, re.compile(r"ASIA[A-Z2-7]{16}" + _E)),
    _Provider("GitHub token", "gh", 4, re.compile(r"gh[pousr]_[A-Za-z0-9]{36,251}" + _E), mixed=True),
    _Provider("GitHub fine-grained token", "github_pat_", 11,
              re.compile(r"github_pat_[A-Za-z0-9_]{60,255}" + _E), mixed=True),
    _Provider("GitLab token", "gl", 0,
              re.compile(r"gl(?:pat|dt|rt|cbt|ptt|oas)-[A-Za-z0-9_\-]{20,64}" + _E), mixed=True),
    _Provider("Slack token", "xox", 5, re.compile(r"xox[abposr]-[0-9]{6,13}-[A-Za-z0-9\-]{8,128}" + _E)),
    _Provider("Slack webhook URL", "hooks.slack.com", 25,
              re.compile(r"hooks\.slack\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{16,40}")),
    _Provider("Hugging Face token", "hf_", 3, re.compile(r"hf_[A-Za-z0-9]{34,40}" + _E), mixed=True),
    _Provider("OpenAI API key", "sk-", 3,
              re.compile(r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{32,200}" + _E), mixed=True),
    _Provider("Stripe live secret key", "k_live_", 8, re.compile(r"[rs]k_live_[A-Za-z0-9]{20,99}" + _E),
              mixed=True),
    _Provider("Google API key", "AIza", 4, re.compile(r"AIza[0-9A-Za-z_\-]{35}" + _E)),
    _Provider("Azure storage account key", "AccountKey=", 11,
              re.compile(r"AccountKey=[A-Za-z0-9+/]{80,100}={0,2}")),
)

_PEM = re.compile(r"-----BEGIN ((?:RSA |DSA |EC |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?)-----")
# after the header: blank/escaped line breaks, quotes or `+`, up to three `Name: value`
# header lines (encrypted PEM), then at least 40 characters of base64 key material
_PEM_BODY = re.compile(r"(?:\\[nr]|[\s\"'+,])*(?:[A-Za-z\-]{1,30}:[^\n\\]{0,100}(?:\\[nr]|\s)+){0,3}"
                       r"[A-Za-z0-9+/]{40}")

# Lower-cased words one of which a secret-like name contains (the file-level prefilter).
_NAME_ANCHORS = ("key", "secret", "token", "passw", "pwd", "credential", "passphrase")
# `name <op> value`, matched value first (the operator's first character lets `re` skip
# ahead fast): an assignment-like operator and a literal of 16+ characters, quoted or (config
# files only) bare; then, in the few characters before the operator, a name (maybe quoted,
# maybe type-annotated). All repetitions are bounded.
_VALUE = re.compile(
    r"""(?::=|=>|==|=|:)[ \t]*
        (?:[rbuRBUf]{0,2}(?P<q>\\?["'`])(?P<qv>[^"'`\s\\]{16,1000})\\?["'`]   # quoted literal
          |(?P<uv>[^\s"'`\#,;)}\]\\]{16,1000})(?=$|[\s"'`\#,;)}\]\\]))  # bare value
    """,
    re.VERBOSE | re.MULTILINE,
)
_VALUE_QUOTED = re.compile(   # code files: only quoted literals count
    r"""(?::=|=>|==|=|:)[ \t]*[rbuRBUf]{0,2}(?P<q>\\?["'`])(?P<qv>[^"'`\s\\]{16,1000})\\?["'`]""")
_NAME_BEFORE = re.compile(
    r"""(?<![\w.\-$@:/])(?P<name>[A-Za-z_][\w.\-]{0,80})(?:\\?["'`])?
        [ \t]*(?::[ \t]*[A-Za-z_][\w\[\]., |]{0,40})?[ \t]*\Z""",
    re.VERBOSE,
)
NAME_LOOKBACK = 140
# `user:password@host` right after a `://` (found with str.find, so the scheme costs nothing)
_URL_CRED = re.compile(
    r"(?P<user>[^\s:/@\"'<>{}\\]{1,64}):(?P<pw>[^\s/@\"'<>{}\\]{1,128})@(?P<host>[A-Za-z0-9.\-_]{1,253})"
)

# --------------------------------------------------------------------------- name rules
_SECRET_WORDS = frozenset("secret secrets password passwd passphrase pwd token credential "
                          "credentials apikey".split())
_SECRET_SUFFIXES = ("apikey", "secretkey", "accesskey", "privatekey", "authkey", "masterkey",
                    "token", "secret", "password", "passwd")
# Words that make a `key`/`token`/`secret` name something other than a credential.
_NOT_SECRET_WORDS = frozenset("""
public pub gpg pgp fingerprint primary foreign sort sorting partition cache cached hash hashed
dict row lookup group join map unique composite idempotency keyboard hot hotkey shortcut
metric metrics label target feature redis object blob bucket s3 max min num pad bos eos unk
sep cls mask special vocab start end first last tokenizer tokenizers tokenize tokenized
tokenization next page paging pagination continuation cursor change marker
""".split())
# Last words that make the name refer to a secret (where it is) rather than hold it.
_REFERENCE_WORDS = frozenset("""
name names ref id ids path paths file filename files dir arn env var vars scope location url
uri endpoint field header type format length len size count ttl timeout expiry expires
expiration policy version mode kind column col index prefix regex pattern time date
""".split())
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SEGMENT = re.compile(r"[A-Za-z0-9]+")
_SHORT_WORDS = frozenset("id db io ip os ui ml ai is at by in on to of no up an as be do go if it me my "
                         "or so we".split())
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")
# Words that make a `*_key` name a credential.
_KEY_QUALIFIERS = frozenset("""
api access secret private auth authentication client master license licence encryption encrypt
signing sign app application account service subscription consumer storage admin session shared
webhook bot deploy root sas server integration personal
openai anthropic cohere mistral groq replicate wandb hf huggingface aws azure gcp google gemini
stripe twilio sendgrid mailgun slack github gitlab comet neptune mlflow pinecone kaggle datadog
sentry mapbox firebase supabase algolia serpapi langchain langsmith clearml dagshub
fernet jwt hmac cipher crypto aes
""".split())

_PLACEHOLDER_MARKS = ("your", "xxxx", "****", "...", "changeme", "change_me", "change-me",
                      "example", "placeholder", "dummy", "fake", "sample", "replace", "redacted",
                      "insert", "todo", "fixme", "<", ">", "${", "{{", "{", "%(", "%s", "$(",
                      "os.environ", "getenv", "env(", "secrets.", "vault:", "process.env")
_FAKE_LINE_MARKS = ("fake", "dummy", "mock", "example", "not-a-real", "not_a_real", "notreal",
                    "pragma: allowlist secret", "gitleaks:allow")
_FAKE_FILE_MARKS = ("fake", "dummy", "example", "sample", "mock", "template")
KNOWN_LOCAL_DEFAULTS = frozenset("postgres password minio123 minioadmin root admin secret mlflow "
                                 "airflow changeme example test guest redis mysql user pass "
                                 "rabbitmq superset".split())
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_WORDS_ONLY = re.compile(r"[a-z]+(?:[\-_./][a-z]+)*|[A-Z]+(?:[\-_.][A-Z]+)*|[A-Z][a-z]+(?:[A-Z][a-z]+)*")
_PATHLIKE_END = re.compile(r"\.(?:json|ya?ml|txt|pem|key|p12|pfx|crt|cer|csv|pkl|env|cfg|ini|toml|py|"
                           r"sh|gpg|asc|jks|keystore|der|pub)$", re.IGNORECASE)
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "host.docker.internal", "::1"})
# A password *hash* (Jupyter `sha1:salt:digest` / `argon2:$argon2id$...`, Django
# `pbkdf2_sha256$iterations$salt$digest`) is what a config stores instead of the password.
_PASSWORD_HASH = re.compile(r"(?:sha1|sha256|sha512|md5|argon2|scrypt|bcrypt|pbkdf2[\w-]*):\S|"
                            r"(?:pbkdf2_sha\d+|argon2|bcrypt(?:_sha256)?|scrypt|sha1|md5)\$\S", re.IGNORECASE)


@dataclass(frozen=True)
class SecretFinding:
    """One credential found; `detail` is already redacted and safe to print."""

    path: str
    line: int
    kind: str
    detail: str


@dataclass
class SecretScan:
    findings: list[SecretFinding] = field(default_factory=list)
    scanned: int = 0              # files whose text was scanned
    skipped_large: list[str] = field(default_factory=list)
    truncated: bool = False       # stopped at MAX_FINDINGS


# --------------------------------------------------------------------------- helpers
def _ext(base: str) -> str:
    """The extension of a lower-cased base name (`.env*`, `*.env` and Dockerfiles by name)."""
    if base.startswith(".env") or base.endswith(".env"):
        return "env"
    if base.startswith(("dockerfile", "containerfile")):
        return "dockerfile"
    dot = base.rfind(".")
    return base[dot + 1:] if dot > 0 else ""


def file_kind(path: str) -> str:
    """'binary', 'data', 'code', 'config' or 'unknown' (sniffed, then scanned as config)."""
    base = path[path.rfind("/") + 1:].lower()
    if base in CONFIG_NAMES:
        return "config"
    ext = _ext(base)
    if ext in BINARY_EXT:
        return "binary"
    if ext in DATA_EXT:
        return "data"
    if ext in CODE_EXT:
        return "code"
    if ext in CONFIG_EXT:
        return "config"
    return "unknown"


def in_test_dir(path: str) -> bool:
    return any(part.lower() in TEST_DIRS for part in path.split("/")[:-1])


def shannon_entropy(value: str) -> float:
    n = len(value)
    if not n:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def name_words(name: str) -> list[str]:
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        words.extend(w.lower() for w in _CAMEL.findall(part))
    return words


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether an identifier names a credential (`api_key`, `clientSecret`, `HF_TOKEN`).

    Only the last component of a dotted name counts (`self.api_key` yes, `key_node.tag` no).
    """
    words = name_words(name.rsplit(".", 1)[-1])
    if not words:
        return False
    if words[-1] in _REFERENCE_WORDS or any(w in _NOT_SECRET_WORDS for w in words):
        return False
    if any(w in _SECRET_WORDS or (len(w) > 5 and w.endswith(_SECRET_SUFFIXES)) for w in words):
        return True
    # `key` is generic (`attr_key`, `sort_key`): it counts only next to a credential word
    # (`api_key`, `SECRET_ACCESS_KEY`, `storage_key`) or a provider name (`OPENAI_KEY`)
    if "key" in words or "keys" in words:
        return any(w in _KEY_QUALIFIERS for w in words)
    return False


def is_placeholder(value: str) -> bool:
    low = value.lower()
    if low.startswith(("$", "%", "@", "!", "&", "*")) or low.endswith("_here"):
        return True
    return any(mark in low for mark in _PLACEHOLDER_MARKS)


def _wordish(value: str) -> bool:
    """Made of words and numbers (`tag:yaml.org,2002:str`, `waitForTaskToken`, `model_v2_2023`).

    Each alphanumeric segment must be short (`s3`, `v2`) or split, at case changes and digit
    runs, into numbers and words of 3+ letters (or common 2-letter words such as `Id`);
    random strings break into many 1-2 letter pieces.
    """
    for segment in _SEGMENT.findall(value):
        if len(segment) <= 3:
            continue
        for part in _CAMEL.findall(segment):
            if not part.isdigit() and len(part) < 3 and part.lower() not in _SHORT_WORDS:
                return False
    return True


def looks_random(value: str, min_len: int = MIN_SECRET_LEN) -> bool:
    """A literal that plausibly is a credential rather than a word, path, id, hash or version."""
    if len(value) < min_len or value.lower() in KNOWN_LOCAL_DEFAULTS or is_placeholder(value):
        return False
    if "://" in value or value.startswith(("/", "./", "../", "~", "arn:", "urn:")) \
            or _PATHLIKE_END.search(value) or _DATE.match(value):
        return False                       # URLs, paths, resource names, timestamps
    if _PASSWORD_HASH.match(value):
        return False                       # a salted password hash, not the password
    if _UUID.fullmatch(value) or _WORDS_ONLY.fullmatch(value) or _wordish(value):
        return False
    if _HEX.fullmatch(value) and len(value) < MIN_HEX_SECRET_LEN:
        return False                       # short hex: a digest or an id, not 128 bits of key
    has_lower = any(c.islower() for c in value)
    has_upper = any(c.isupper() for c in value)
    has_digit = any(c.isdigit() for c in value)
    if not (has_lower or has_upper):
        return False                       # numbers, dates, versions
    if not has_digit and not (has_lower and has_upper):
        return False                       # one-case words with separators
    return shannon_entropy(value) >= MIN_ENTROPY


def _mixed(body: str) -> bool:
    has_digit = any(c.isdigit() for c in body)
    return has_digit and any(c.isalpha() for c in body)


def _fake_line(line: str) -> bool:
    low = line.lower()
    return any(mark in low for mark in _FAKE_LINE_MARKS)


def _redact_value(n: int) -> str:
    return f"<redacted, {n} chars>"


# --------------------------------------------------------------------------- scanning
def _providers(text: str):
    for p in PROVIDERS:
        if p.anchor not in text:
            continue
        for m in p.rx.finditer(text):
            if m.start() and text[m.start() - 1] in _LEFT_CHARS:
                continue                   # inside a longer run (base64, identifier)
            token = m.group(0)
            shown = p.shown or token.index("-") + 1      # GitLab: `glpat-`, `gldt-`, ...
            body = token[shown:]
            if is_placeholder(token) or (p.mixed and not _mixed(body)):
                continue
            if shannon_entropy(body) < MIN_ENTROPY:
                continue                   # `hf_aaaa…`: filler, not a token
            yield m.start(), p.kind, f"{p.kind} `{token[:shown]}{_redact_value(len(token))}`"


def _anchor_lines(text: str, low: str) -> list[tuple[int, int]]:
    """(start, end) of every line whose lower-cased text holds a secret-name anchor word.

    Substring scans only; the regular expressions then run on these lines alone, which in
    ordinary code are a few percent of all lines.
    """
    spans: dict[int, int] = {}
    for anchor in _NAME_ANCHORS:
        pos = low.find(anchor)
        while pos != -1:
            start = low.rfind("\n", 0, pos) + 1
            end = low.find("\n", pos)
            end = len(low) if end == -1 else end
            spans[start] = end
            pos = low.find(anchor, end)
    return sorted(spans.items())


def _assignments(text: str, low: str, kind: str):
    # in code a bare value is a reference (`token = settings.token`), not a literal
    rx = _VALUE if kind == "config" else _VALUE_QUOTED
    for start, end in _anchor_lines(text, low):
        for m in rx.finditer(text, start, end):
            value = m.group("qv") if m.group("q") is not None else m.group("uv")
            if not looks_random(value):
                continue
            n = _NAME_BEFORE.search(text, max(start, m.start() - NAME_LOOKBACK), m.start())
            if n is None or not is_secret_name(n.group("name")):
                continue
            yield (n.start(), "high-entropy secret",
                   f"`{n.group('name')}` is assigned a high-entropy literal `{_redact_value(len(value))}`")


def _url_passwords(text: str):
    pos = text.find("://")
    while pos != -1:
        m = _URL_CRED.match(text, pos + 3)
        if m is not None and m.group("host").lower() not in _LOCAL_HOSTS \
                and looks_random(m.group("pw"), MIN_URL_PASSWORD_LEN):
            detail = (f"URL with an embedded password `{_redact_value(len(m.group('pw')))}` "
                      f"for host `{m.group('host')}`")
            yield pos, "password in URL", detail
        pos = text.find("://", pos + 3)


def _private_keys(text: str):
    for m in _PEM.finditer(text):
        if _PEM_BODY.match(text, m.end()) is not None:   # not just the header string
            yield (m.start(), "private key",
                   f"private key block `-----BEGIN {m.group(1)}-----` (key material redacted)")


def scan_text(path: str, text: str, kind: str | None = None) -> list[SecretFinding]:
    """Every credential in one file's text (at most one finding per line).

    Each detector runs over the whole text only when its literal anchor occurs in it
    (plain substring tests), so most files cost a few `in` scans.
    """
    kind = kind or file_kind(path)
    if kind in ("unknown", "data"):
        kind = "config"
    tests = in_test_dir(path)
    base = path[path.rfind("/") + 1:].lower()
    if any(mark in base for mark in _FAKE_FILE_MARKS):
        return []                          # `.env.example`, `fake_credentials.json`: fixtures by name
    sources = []
    if "PRIVATE KEY" in text:
        sources.append(_private_keys(text))
    sources.append(_providers(text))
    if not tests:
        low = text.lower()
        if len(low) != len(text):   # a few non-ASCII letters change length when lower-cased
            low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
        sources.append(_assignments(text, low, kind))
        if "://" in text and "@" in text:
            sources.append(_url_passwords(text))
    hits: dict[int, tuple[str, str]] = {}
    for source in sources:
        for pos, k, detail in source:
            start = text.rfind("\n", 0, pos) + 1
            if start in hits:
                continue
            end = text.find("\n", pos)
            if _fake_line(text[start: end if end != -1 else len(text)]):
                continue
            hits[start] = (k, detail)
    findings = []
    line_no, last = 1, 0
    for start in sorted(hits):
        line_no += text.count("\n", last, start)
        last = start
        k, detail = hits[start]
        findings.append(SecretFinding(path, line_no, k, detail))
    return findings


# --------------------------------------------------------------------------- the fact
def extract(project) -> SecretScan:
    """Scan tracked text files (every listed file outside git)."""
    scan = SecretScan()
    tracked = project.tracked
    paths = sorted(tracked) if tracked is not None else project.files
    todo: list[tuple[str, str]] = []
    for path in paths:
        if path not in project.file_set:
            continue                       # tracked but deleted from the work tree
        kind = file_kind(path)
        if kind == "binary":
            continue
        size = project.size(path)
        if size > SCAN_MAX_BYTES:
            if kind in ("code", "config"):
                scan.skipped_large.append(path)
                project.add_problem(path, f"not scanned for secrets: {size / 1048576:.1f} MiB is over "
                                          f"the {SCAN_MAX_BYTES // 1048576} MiB scan limit")
            continue
        todo.append((path, kind))
    kinds = dict(todo)

    def read(path: str) -> str | None:
        if kinds[path] in ("unknown", "data") and project.is_binary(path):
            return None
        return project.read_text(path)

    # per-file scans are cached by content and may run in worker processes (auditor/cache.py)
    from auditor import cache

    for path, findings in cache.cached_map(project, "secrets", todo, _scan_one, encode=cache.plain,
                                           decode=_findings, code=(__file__,), read=read):
        scan.scanned += 1
        scan.findings.extend(findings)
        if len(scan.findings) >= MAX_FINDINGS:
            scan.findings = scan.findings[:MAX_FINDINGS]
            scan.truncated = True
            break
    return scan


def _scan_one(path: str, text: str, kind: str) -> list[SecretFinding]:
    return scan_text(path, text, kind)


def _findings(data: list[dict]) -> list[SecretFinding]:
    return [SecretFinding(**d) for d in data]
