"""pedal-web: the pedal's page for a phone, a process of its own beside pedald.

    server.py     the process: socket activation on port 80, or [web] address and port
    app.py        the page, the JSON API behind a password, the live view's WebSocket
    link.py       the only way to pedald: its control socket, from a worker thread
    passwords.py  the password as a salted scrypt hash in a file of its own
    sessions.py   who is logged in (HttpOnly, SameSite=Strict cookie; a CSRF token), login rate limit
    static/       the page: one HTML file, its script and its style; no build step

The page's first visit proves the visitor stands at the pedal (a footswitch press within 30 s,
pedald's ``claim``) before a password can be set; `pedalctl web password` sets it too.
"""
