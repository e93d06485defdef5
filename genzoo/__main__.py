"""``python -m genzoo`` runs the command line."""

from genzoo.cli import main

main()
