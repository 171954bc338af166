"""Multimodal features: providers that fetch tags, lyrics, audio features, IDs, art and bios
(``core.features.providers``, driven by the backlog job in ``core.features.fetch``), feature tables
and embeddings (docs/architecture.md §5, issue 4)."""
