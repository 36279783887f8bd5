"""The top floor beside ``app.py``: the ``resale-pos`` command (``cli.main``) and the demo shop (``cli.demo``).

Nothing below imports this package."""
