"""Answering "what next?" for an account from its trained model, in a few milliseconds.

- ``warm``: the per-account warm state (model + scoring state), caught up with new plays;
- ``recommend``: ``recommend_for`` (the model's ranking, liked tracks lifted) and ``explore_for``;
- ``explore``: the discovery stream (the discovery ranker over the catalogue; without one, this
  computer's other accounts);
- ``fallback``: what is popular on this computer, for accounts with too few plays;
- ``reasons``: ``{track:i}`` / ``{artist:i}`` tokens in model reasons rendered as names.

The app and the CLI call these through ``models.api``.
"""
