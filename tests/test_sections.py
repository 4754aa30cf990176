"""Heading words → section roles: by meaning, whichever word leads, for headings nobody tuned for."""

from __future__ import annotations

import pytest

from nb2prod.convert.sections import classify_heading

TRAINING = [
    ("Load Data", "load"), ("Read dataset", "load"), ("Data", "load"), ("Ingest", "load"),
    ("Download the CSV", "load"), ("Get the data", "load"),
    ("Split Data into Training and Validation Sets", "split"), ("Train/test split", "split"),
    ("Data split", "split"), ("Holdout split", "split"), ("Partition rows", "split"),
    ("Train Model on Training Set", "train"), ("Fit", "train"), ("Final model", "train"),
    ("Model training", "train"), ("Model", "train"), ("Learning the weights", "train"),
    ("Validate Model on Validation Set", "evaluate"), ("Evaluate the model on the test split", "evaluate"),
    ("Metrics", "evaluate"), ("Model evaluation", "evaluate"), ("Scoring on holdout", "evaluate"),
    ("Predict on the test set", "evaluate"), ("How good is it? Accuracy", "evaluate"),
    ("Save Model", "save"), ("Persist artefacts", "save"), ("Export model", "save"),
    ("Model persistence", "save"), ("Register the model", "save"),
    ("Feature engineering", "prepare"), ("Data cleaning", "prepare"), ("Preprocess the data", "prepare"),
    ("Encode categoricals", "prepare"),
    ("Appendix", "other"),
]
SCORING = [
    ("Load Model", "load_model"), ("Init", "load_model"), ("Model", "load_model"),
    ("Prepare Data", "prepare"), ("Parse the request", "prepare"), ("Sample input", "prepare"),
    ("Score Data", "score"), ("Predict", "score"), ("Inference", "score"), ("Run", "score"),
    ("Run the model", "score"),
]


@pytest.mark.parametrize("title, role", TRAINING)
def test_training_headings(title, role):
    assert classify_heading(title, "training") == role


@pytest.mark.parametrize("title, role", SCORING)
def test_scoring_headings(title, role):
    assert classify_heading(title, "scoring") == role
