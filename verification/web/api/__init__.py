"""The JSON API under ``/api/v1``: the same operations as the pages, over
the same service layer, as the logged-in user (session cookie with the
``X-CSRF-Token`` header on state-changing calls, or a personal API token).
Errors are ``{"error": {"code": ..., "message": ...}}`` with the service
layer's one-line message and status; listings are paged (``limit``,
``offset``, ``total``, ``next``, ``prev``); the OpenAPI document is
``/api/v1/openapi.json`` (it needs a login too)."""
