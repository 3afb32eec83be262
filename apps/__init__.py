"""Mini-apps and the SDK third parties use for theirs."""
