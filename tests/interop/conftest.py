"""Shared fixtures for the interoperability tests against spead2 (PyPI)."""

import os
import socket

import pytest


@pytest.fixture(scope="session")
def build_dir():
    path = os.environ.get("LIGHTSPEAD_BUILD_DIR", "build")
    if not os.path.isdir(path):
        pytest.fail(f"build directory {path!r} not found (set LIGHTSPEAD_BUILD_DIR)")
    return os.path.abspath(path)


@pytest.fixture(scope="session")
def interop_send(build_dir):
    path = os.path.join(build_dir, "tests", "interop", "interop_send")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} not built")
    return path


@pytest.fixture
def free_udp_port():
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
