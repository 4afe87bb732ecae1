"""The HTTP interface: a FastAPI app (REST verbs, OpenAPI, MCP at ``/mcp``) and its client.

    app.py          create_app(): routes, middleware, MCP mount, background curation
    routes.py       the agent verbs          admin_routes.py  knowledge base and admin
    schemas.py      request and response bodies with their limits
    auth.py         API keys -> Principal     limits.py  body size and per-org rate
    errors.py       SparkError -> HTTP status, in one place (and back, for the client)
    metrics.py      Prometheus counters       logs.py    structured request logs
    sessions.py     what was served to an agent session; `spark run` outcomes
    client.py       SparkClient: the typed Python client over httpx
    address.py      $SPARK_HOME/server.json: where a running `spark serve` answers

Importing this package imports nothing else: the client must not drag in FastAPI.
"""
