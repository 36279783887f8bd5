"""Printing: ESC/POS receipts, price tags and reports on thermal printers, with PNG previews from the
same layout code, and a print queue that never blocks or loses a sale (design brief §7, issue 3).

Modules:
    ``layout``   — documents made of rows/QR/cuts, text wrapped by display width; receipt, tag, report layouts
    ``render``   — PNG preview and bitmap text from a layout (CJK font lookup)
    ``encode``   — the ESC/POS byte stream from the same layout, per printer mode
    ``profiles`` — named printer profiles (python-escpos capabilities) with their paper width
    ``printers`` — printer settings (connection, profile, modes, job kinds, cash drawer)
    ``transport``— python-escpos transports (Network, Usb, Serial, File, Dummy) and the ``DLE EOT`` status query
    ``jobs``     — the print queue: :func:`printing.jobs.enqueue`, the worker step, reprints
"""
