"""Building blocks shared by families."""
