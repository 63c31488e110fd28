"""Evaluation datasets, fault injection, scorers and reports."""
