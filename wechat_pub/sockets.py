"""A listening socket bound before a server is made of it: werkzeug, finding a port taken, prints its own message
and exits the process, where wechat-pub wants to say what to do (or to try elsewhere)."""

from __future__ import annotations

import socket


def listen_on(host: str, port: int) -> socket.socket:
    """A socket listening on host:port, as werkzeug would make it; OSError when the port is taken."""
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(128)
    except OSError:
        listening.close()
        raise
    return listening
