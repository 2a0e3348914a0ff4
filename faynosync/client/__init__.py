"""The command-line client (``faynosync login``, ``upload``, ``publish``, ``apps``, ``versions``,
``check``): it talks to a faynosync or FaynoSync server over HTTP only, never through the
server's own modules, so it works against any server of the same API."""
