"""Refuses, and records, every name look-up and connection to a host other than loopback, for the process that imports it.

Import it before boto3 or the SageMaker SDK (the same guard as sdk2_estimator.py's). The SDK swallows some errors (its
telemetry's, for one), so a scenario must also assert `CONTACTED` is empty at its end: `assert_only_loopback()`.
"""

import ipaddress
import socket

CONTACTED = []
_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _is_loopback(host):
    if isinstance(host, bytes):
        host = host.decode()
    host = (host or "").strip("[]").lower()
    if host in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(host):
    CONTACTED.append(str(host))
    raise socket.gaierror(socket.EAI_NONAME, f"loopback_guard refuses to reach {host!r}: only loopback is allowed")


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host is not None and not _is_loopback(host):
        _refuse(host)
    return _getaddrinfo(host, *args, **kwargs)


def _check_address(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
        _refuse(address[0])


def _guarded_connect(self, address):
    _check_address(self, address)
    return _connect(self, address)


def _guarded_connect_ex(self, address):
    _check_address(self, address)
    return _connect_ex(self, address)


socket.getaddrinfo = _guarded_getaddrinfo
socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


def assert_only_loopback():
    assert not CONTACTED, f"the SDK tried to reach hosts outside loopback: {sorted(set(CONTACTED))}"
