"""Below every area: config, db, clock, money, crypto, settings, i18n, web helpers, forms, workers, audit."""

from core.lazy import import_hiding

# Imported here, before any area imports it: core is the first package every area imports (issue 10 §6).
import_hiding("sqlite_utils", ("numpy", "pandas"))
