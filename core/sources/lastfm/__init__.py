"""Last.fm: desktop auth (pylast), the REST client (httpx) and the resumable history sync."""
