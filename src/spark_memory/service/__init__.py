"""The service layer: the Spark façade, one method per use case.

The façade is one class assembled from a mixin per feature area (``facade.py`` holds
the core and picks the backend); each mixin only wires features to the store.
"""

from spark_memory.service.facade import Spark, StoreStats, open_store

__all__ = ["Spark", "StoreStats", "open_store"]
