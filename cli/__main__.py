"""``python -m cli`` runs the ``resale-pos`` command."""

from cli.main import main

main()
