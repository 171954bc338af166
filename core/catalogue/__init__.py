"""The discovery catalogue: candidate tracks beyond the listener's history (docs/architecture.md §5b, issue 13).

This docstring is the contract the discovery ranker (``models/discovery``) and serving build on.

Store (Alembic revision ``0003_catalogue``)
-------------------------------------------
Candidates are ordinary ``track`` rows (artist / track resolved through ``core.store.catalog.Catalog``
with the normalised-name matching every importer uses), so features, embeddings and names work for
them exactly as for played tracks, and a listed track the listener played IS the row of their plays.
A candidate never gets a ``scrobble`` row.

- ``catalogue_fetch`` — one cached answer of one source for one seed: ``id``, ``source`` (see
  below), ``key`` (normalised seed key), ``seed_artist_id`` / ``seed_track_id`` / ``seed_tag`` /
  ``seed_account_id`` (nullable), ``fetched_at`` (unix s of the stored answer, 0 = never),
  ``checked_at`` (the last attempt), ``ttl_s``, ``status`` (``pending`` / ``ok`` / ``empty`` /
  ``not_found`` / ``error``), ``error`` (text), ``attempts`` (consecutive failures, for backoff),
  ``n_items``, ``detail`` (JSON input fingerprint of local sources). UNIQUE(source, key). Answers do not
  depend on the listener: the cache is shared. A failed refresh keeps the previous items readable.
- ``catalogue_item`` — what an answer lists: ``fetch_id`` (FK, cascade), ``rank`` (1-based position in
  the answer; PK with fetch_id), ``artist_id``, ``track_id`` (NULL for an artist-level entry such as a
  similar artist), ``score`` (e.g. Last.fm ``match`` 0–1; NULL when the source gives none),
  ``listeners`` / ``playcount`` (nullable popularity).
- ``catalogue_seed`` — which fetches follow which listener: ``account_id``, ``fetch_id``, ``weight``
  (how strongly the seed stands for the listener: max of its share of their recent, decayed plays and
  of all their plays — ``core.catalogue.seeds``; for ``local.accounts`` the share of the listener's
  plays whose artist that account also played; 1.0 for tables), ``seeded_at``. PK(account, fetch).

Sources (``core.catalogue.sources``; ``SOURCES`` lists them in run order)
------------------------------------------------------------------------
Offline: ``local.accounts`` (another local account's tracks by plays, ``playcount`` = its plays; never
the listener, never the demo account for a real account unless ``include_demo``), ``local.tables``
(tracks of the open feature tables imported with ``segue features import``, whose features are
attached to the new rows; artist-level tables give artist entries). Live (API key / no login):
``lastfm.artist.getSimilar`` (artist-level, ``score`` = match 0–1), ``lastfm.artist.getTopTracks``
(``listeners``, ``playcount``), ``lastfm.track.getSimilar`` (``score`` = match 0–1, ``playcount``),
``lastfm.tag.getTopTracks`` (rank only), ``listenbrainz.similar_artists`` (artist-level, ``score`` =
LB's raw similarity, larger = closer), ``listenbrainz.top_recordings`` (``listeners`` = LB users,
``playcount`` = LB listens), ``listenbrainz.lb_radio`` (``playcount`` = LB listens), and
``musicbrainz.artist`` (no items: fills ``artist.mbid`` for the ListenBrainz sources). Seeds: the
listener's recent and heavy-rotation artists and tracks and their artists' tags; the top-track sources
also follow the second hop (the strongest artists the similar-artist answers named; the edge to the
seed artist is in ``artist_edges``). Benchmark-only graphs (HetRec 2011 co-listening) are written by
the evaluation code under ``bench.*`` names with ``cache.ensure_fetches`` / ``save_answer`` /
``link_seeds``, never by the app.

Read API (``core.catalogue.query``)
-----------------------------------
``load_catalogue(bind, account_id, *, exclude_heard=True, as_of=None) -> Catalogue`` with arrays
aligned to ``track_ids`` (sorted int64): ``artist_ids``, ``heard`` (bool; all False with
``exclude_heard``), ``artist_heard`` (the account played the artist), ``listeners`` (largest web
listener count, NaN unknown), ``local_listeners`` (other local accounts that played it),
``popularity`` (log1p(listeners), else log1p(local_listeners) when > 0, else NaN); ``sources``:
name → ``SourceEvidence`` (sparse ``index`` into the catalogue; best ``rank``, its ``score``,
``seed_artist_id`` / ``seed_track_id`` / ``seed_account_id`` (-1 none) / ``seed_tag`` (None), the
seed's ``seed_weight``, ``fetch_id``, ``hits``; ``dense(field, n)`` aligns one); ``artist_edges``
(``seed`` → ``similar`` artist ids with ``score``, ``rank``, ``source`` index into ``source_names``);
``artist_pool`` / ``artist_pool_heard`` (every artist the catalogue names); ``fetches`` (the
account's ``FetchRow`` s, for status). "Heard" = any scrobble of the account at or before ``as_of``.

Refresh (``core.catalogue.refresh.refresh_catalogue``)
------------------------------------------------------
A job generator yielding ``Progress``, cancellable and resumable: per source the listener's wants
are linked as seeds, then due answers (new, expired, failed long enough ago, changed input) are
fetched strongest seed first and committed one by one.
"""

from core.catalogue.query import ArtistEdges, Catalogue, FetchRow, SourceEvidence, load_catalogue

__all__ = ["ArtistEdges", "Catalogue", "FetchRow", "SourceEvidence", "load_catalogue"]
