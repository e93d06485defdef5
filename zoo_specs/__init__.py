"""The built-in zoo: one folder per entry (genzoo.yaml, README.md, weights)."""
