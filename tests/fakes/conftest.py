"""Make the fake-server fixtures available to the tests in this folder."""

from .lastfm_server import fake_lastfm, fake_lastfm_factory  # noqa: F401
