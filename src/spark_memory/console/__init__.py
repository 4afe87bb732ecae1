"""The web console for the people who run Spark (served by `spark serve` at ``/ui``).

Modules: ``app`` (assembly, sign-in, HTML error pages), ``session`` (the key cookie and
CSRF tokens), ``context`` (the façade, the templates, the signed-in principal),
``memory_pages`` (Ask, Memories, an insight's page and actions, Review), ``org_pages``
(Org, Knowledge base, Epochs, Dashboard), ``filters``, ``render``, ``charts`` (inline
SVG), ``latency`` (p50/p95 from the /metrics text); ``templates/`` and ``static/`` are
package data.
"""

from spark_memory.console.app import console_app

__all__ = ["console_app"]
