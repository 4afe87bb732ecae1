"""Spark coach."""
