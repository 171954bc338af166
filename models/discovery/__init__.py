"""Discovery: ranking tracks the listener has never played, from the candidate catalogue (issue 13).

The catalogue (``core.catalogue``: other local accounts, open tables, Last.fm / ListenBrainz answers,
and in the benchmark a co-listening graph) lists unheard tracks with per-source evidence and
similar-artist edges. The discovery models rank them for the session in progress:

- ``space``     a ``DiscoverySpace``: one ``ItemSpace`` holding the listener's tracks *and* the
                catalogue's candidates, with the catalogue's evidence aligned to it;
- ``graph``     similar-artist / co-listening edges as sparse matrices, proximity of every artist
                to a weighting of played artists;
- ``content``   the multimodal embeddings ``core.features`` builds (tag Word2Vec, acoustic VAE,
                lyrics MiniLM, bios), one unit vector per track or artist, with masks;
- ``artist2vec`` the seed item2vec model (gensim CBOW) fitted on every local account's sessions
                at the artist level, so catalogue artists have a representation;
- ``signals``   the listener's state (decayed artist/album plays, session, profiles) and the
                feature blocks computed from it;
- ``ranker``    ``discovery``: a learned linear ranker over those features (tracks and artists);
- ``baselines`` catalogue popularity, today's artist affinity (``default.explore_scores``), and
                co-listen artist kNN, scored over the same candidates;
- ``reasons``   the evidence behind a suggestion and the sentence built from it.
"""
