"""Turn results into text for people and machines; the only other place that prints is cli.py."""
