"""`o2c serve`: the HTTP API."""

from __future__ import annotations

import uvicorn


def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    uvicorn.run("o2c.api.app:create_app", factory=True, host=host, port=port)
