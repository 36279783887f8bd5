"""Personal data over its life (issue 13 §4–6): notices and acknowledgements at intake (``core.notices``), retention
and the purge, erasure on request, and each person's export and correction, for consignors and sellers."""
