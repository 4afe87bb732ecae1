"""The coach's request, intent and recommendation models: defined in ``spark_memory.advice``.

They sit below every layer there, so the Python client returns a ``Recommendation``
without importing the coach. Edit them in ``advice.py``.
"""

from spark_memory import advice
from spark_memory.advice import *  # noqa: F403 - the same names, re-exported

__all__ = advice.__all__
