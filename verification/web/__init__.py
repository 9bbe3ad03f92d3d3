"""The analysts' web UI and API (``clues serve``): server-rendered pages
(Jinja2, autoescaped; no remote assets) and a JSON API under ``/api/v1``,
both over the one service layer of ``verification``. Every page and endpoint
needs a login; roles are enforced here on the server.

- ``app.create_app``: the application factory
- ``config``: the web settings (CLUES_WEB_*), validated
- ``auth``: who is asking (session cookie or API token), roles, CSRF
- ``ratelimit``: failed logins per user and address
- ``security``: response headers (Content-Security-Policy, ...)
- ``present``: what pages and API show of clues and orders: phone and ID
  numbers masked, authors pseudonymised
- ``pages/``: the HTML pages; ``api/``: the JSON API
"""
