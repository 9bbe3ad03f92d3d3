"""Who may use the web UI and API: users with a role, their passwords
(argon2), login sessions and personal API tokens. A user's name is the
``by`` of every workflow action they take."""
