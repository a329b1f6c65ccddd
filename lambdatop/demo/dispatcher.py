"""moto's request dispatcher, with its answer to "which service is this host?" remembered.

moto answers it afresh on every request: it lists its package's folders (a stat call for each
of about 180) and tries every service's URL pattern. Writing the demo's history is about 1,500
requests: that was a third of the server's CPU time per request.
"""

from __future__ import annotations

from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication


class DomainDispatcher(DomainDispatcherApplication):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        # Called under moto's lock (`get_application`): one thread at a time fills the dict
        if host not in self._backends:
            self._backends[host] = super().get_backend_for_host(host)
        return self._backends[host]
