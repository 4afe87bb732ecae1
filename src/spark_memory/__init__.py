"""Spark: a shared, self-hosted experiential memory for AI coding agents.

Importing this package does nothing but define names; the service is built by
``spark_memory.service.Spark.open()``.
"""

__version__ = "0.1.0"
