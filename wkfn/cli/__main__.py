"""``python -m wkfn.cli`` runs the command line."""

from wkfn.cli.main import main

main()
