"""The clue → verify → file → supervise workflow (线索发现 → 内容核实 → 主动立案 →
跟踪督办). One service layer: the command line, the web UI and API, and the
scheduled jobs all go through it, so no path can make an illegal transition.

Actions take a session (one transaction per action: ``transactions.transaction``),
the acting analyst's name (``by=``) and ids, and raise a
``errors.WorkflowError`` (a ``ClueError``) with one clear line and an
``http_status``:

- ``clue_states`` / ``order_states``: the state machines and their audit rows
- ``claims``: claims with leases, ``claim_next`` (``FOR UPDATE SKIP LOCKED``)
- ``decisions``: verify, reject, reopen; ``membership``: confirm, split, merge
- ``corrections``: category, item, department, place, urgency (kept by processing)
- ``filing``: the work order; ``orders``: dispatch ... close, return (退单), notes
- ``sla``, ``escalation``, ``recurrence``, ``supervision.supervise`` (the hourly job)
- ``review.weekly_review`` (每周一评), ``stats.compute_stats``, ``export`` (Open311, CSV)
- ``queue`` and ``views``: listings and JSON-ready views; ``similar``: nearest
  posts and merge candidates; ``dashboard``: the supervisors' figures
- ``accounts``: users and roles, argon2 passwords, login sessions, API tokens
- ``reports``: the weekly class-case report (类案周报), its SVG charts and files
- ``web``: the analysts' web UI and API (``clues serve``)
"""
