"""Spark learning."""
