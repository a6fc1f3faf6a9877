"""mlaudit: audit a machine learning repository against MLOps best practices.

The import package is called ``auditor``; the distribution and the command are ``mlaudit``.
Importing this package is cheap on purpose: the CLI starts on every commit as a pre-commit
hook, so heavy modules (PyYAML, jsonschema, GitPython) are imported only where needed.
"""

__version__ = "0.1.0"
