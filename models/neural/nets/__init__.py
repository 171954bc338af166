"""torch networks of the neural sequence models (imported only when a model trains or loads)."""
