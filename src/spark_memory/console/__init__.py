"""The web console for the people who run Spark (served by `spark serve` at ``/ui``).

    app.py           assembly, sign-in, HTML error pages
    session.py       the key cookie and CSRF tokens
    context.py       the façade, the templates, the signed-in principal
    memory_pages.py  Ask, Memories, an insight's page and actions, Review
    org_pages.py     Org (agents, keys), Knowledge base, Epochs, Dashboard
    charts.py        inline SVG charts
    templates/, static/   Jinja2 templates and the one stylesheet (package data)
"""

from spark_memory.console.app import console_app

__all__ = ["console_app"]
