"""The HTML pages: login, queue, clue, orders, dashboard, weekly report,
admin, account. Forms post back with the session's CSRF token; every action
goes through the service layer as the logged-in user, then redirects (303)
to the page it came from; an error is shown on the page, with its status."""
