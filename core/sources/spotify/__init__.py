"""Spotify: PKCE login (``auth``) and the few Web API calls for links and playlist export (``api``)."""
