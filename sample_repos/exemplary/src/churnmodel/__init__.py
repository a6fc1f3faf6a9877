"""Customer churn prediction: data preparation, training, evaluation and online scoring."""

__version__ = "1.4.0"
