"""The fake Spotify accounts service + Web API for these tests."""

from fakes.spotify_server import fake_spotify  # noqa: F401
