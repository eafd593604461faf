"""The legacy TF1 recommender: the codebase being migrated (written against compat.v1)."""
