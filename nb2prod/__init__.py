"""nb2prod: turn an experiment notebook into production scripts and tests."""

__version__ = "0.1.0"
