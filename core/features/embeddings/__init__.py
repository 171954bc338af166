"""Item embeddings: sentence (lyrics, bios) → PCA-150, tag Word2Vec, acoustic VAE, session Word2Vec.

Stored in the ``embedding`` table, versioned by model and input (see ``store``); ``build`` runs them
all as one job. Models read them through ``models.features.load_item_features``.
"""
