"""Graph and factor models: EASE, BPR-MF, LightGCN."""
