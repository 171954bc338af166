from fakes.lastfm_server import fake_lastfm, fake_lastfm_factory  # noqa: F401
