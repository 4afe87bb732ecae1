"""Spark http."""
