"""QR codes for tags and receipts (design brief §4): error correction M, quiet zone of 4 modules."""

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE_MODULES = 4


def qr_matrix(data):
    """The QR symbol for ``data`` as a list of rows of booleans (True = dark), quiet zone included.

    ISO/IEC 18004:2015 §4.2 asks for a 4-module quiet zone; it is part of the returned matrix.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE_MODULES)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def qr_image(data, module_px=8):
    """The QR symbol for ``data`` as a 1-bit PIL image, ``module_px`` pixels per module, 4-module quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE_MODULES, box_size=module_px)
    code.add_data(data)
    code.make(fit=True)
    return code.make_image().get_image().convert("1")


def qr_png(data, module_px=8):
    """The QR symbol for ``data`` as PNG bytes (see :func:`qr_image`)."""
    buffer = io.BytesIO()
    qr_image(data, module_px).save(buffer, format="PNG")
    return buffer.getvalue()


def qr_svg(data):
    """The QR symbol as an SVG string scaled by its viewBox (for print sheets: sharp at any size)."""
    matrix = qr_matrix(data)
    size = len(matrix)
    path = "".join(f"M{x},{y}h1v1h-1z" for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
            f'<rect width="{size}" height="{size}" fill="#fff"/><path d="{path}" fill="#000"/></svg>')
