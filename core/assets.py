"""Bytes on the wire: compressed text responses and fingerprinted static files (issue 10 §5).

* Text responses (HTML, CSS, JS, JSON, SVG) are compressed with Brotli or gzip, as the browser accepts
  (Flask-Compress).
* ``url_for('static', filename=…)`` adds ``v=<content hash>`` to every static URL (an ``url_defaults``
  callback), and a static response requested with the current hash is served
  ``Cache-Control: public, max-age=31536000, immutable``: a tablet fetches each file once per version
  instead of revalidating it on every page. A changed file gets a new URL; a request with a stale or no
  hash gets ``no-cache``.
"""

import hashlib
from pathlib import Path

from flask import request
from flask_compress import Compress

#: What is compressed (Flask-Compress ``COMPRESS_MIMETYPES``).
COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                      "image/svg+xml", "text/plain", "text/csv"]
IMMUTABLE = "public, max-age=31536000, immutable"

compress = Compress()


def static_hash(app, filename):
    """The first 12 hex digits of the SHA-256 of static file ``filename`` (re-read when its mtime changes),
    or ``None`` when there is no such file."""
    cache = app.extensions.setdefault("static_hashes", {})
    path = Path(app.static_folder) / filename
    try:
        mtime = path.stat().st_mtime_ns
    except (OSError, ValueError):
        return None
    known = cache.get(filename)
    if known is None or known[0] != mtime:
        known = cache[filename] = (mtime, hashlib.sha256(path.read_bytes()).hexdigest()[:12])
    return known[1]


def init_app(app):
    """Turn on compression and fingerprinted, immutable static files for ``app``."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESS_MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    compress.init_app(app)

    @app.url_defaults
    def fingerprint_static(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            digest = static_hash(app, values["filename"])
            if digest:
                values["v"] = digest

    @app.after_request
    def cache_static(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            filename = (request.view_args or {}).get("filename", "")
            if request.args.get("v") and request.args.get("v") == static_hash(app, filename):
                response.headers["Cache-Control"] = IMMUTABLE
                response.expires = None
            else:
                response.headers["Cache-Control"] = "no-cache"
            if response.status_code == 200 and response.is_streamed:
                # our static files are small: read into memory so Flask-Compress may gzip them too (it
                # streams only br/deflate)
                response.direct_passthrough = False
                response.make_sequence()
        return response
