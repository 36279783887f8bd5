"""A test-side ESC/POS parser: read back what we send to printers, so tests compare content, not bytes.

``decode(data)`` returns a :class:`Decoded` with

* ``lines``: text lines (ended by LF), each decoded with its encoding — GB18030 between ``FS &`` and
  ``FS .`` (Kanji mode), else the code page (CP437, the printers' default table 0);
* ``images``: raster images rebuilt from ``GS v 0`` (one per command) and from ``ESC *`` (consecutive
  stripes joined into one image), as PIL images, black ink on white (mode ``"L"``);
* ``qr_native``: payloads of ``GS ( k`` function 180 (store data, cn 49, fn 80);
* ``cuts``, ``label_feeds``, ``drawer`` (pins kicked), ``status_queries`` (``DLE EOT n`` values);
* ``events``: everything in order, as ``(kind, value)`` pairs.

Unknown bytes raise ``ValueError`` so a malformed stream fails the test.
"""

from dataclasses import dataclass, field

import zxingcpp
from PIL import Image, ImageOps

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A


@dataclass
class Decoded:
    lines: list = field(default_factory=list)
    images: list = field(default_factory=list)
    qr_native: list = field(default_factory=list)
    cuts: int = 0
    label_feeds: int = 0
    drawer: list = field(default_factory=list)
    status_queries: list = field(default_factory=list)
    events: list = field(default_factory=list)
    kanji_lines: list = field(default_factory=list)

    def qr_from_images(self):
        """Every QR symbol found by zxing-cpp in the raster images, as text."""
        found = []
        for image in self.images:
            found.extend(r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode)
        return found


def _le(lo, hi):
    return lo + 256 * hi


def _ink_image(mode1):
    return ImageOps.invert(mode1.convert("L"))


def decode(data, codepage="cp437"):
    """Parse ``data`` (bytes) into a :class:`Decoded`."""
    out = Decoded()
    segments = []  # (bytes, encoding) of the current text line
    kanji = False
    stripes = []  # ESC * stripes (PIL "1" images) of the image being rebuilt
    i = 0
    n = len(data)

    def end_stripes():
        if stripes:
            width = max(s.width for s in stripes)
            img = Image.new("1", (width, 24 * len(stripes)), 0)
            for k, s in enumerate(stripes):
                img.paste(s, (0, 24 * k))
            out.images.append(_ink_image(img))
            out.events.append(("image", "escstar"))
            stripes.clear()

    def end_line():
        text = "".join(b.decode(enc) for b, enc in segments)
        out.lines.append(text)
        if any(enc == "gb18030" for _b, enc in segments):
            out.kanji_lines.append(text)
        out.events.append(("text", text))
        segments.clear()

    while i < n:
        b = data[i]
        if b == LF:
            if segments:
                end_line()
            elif not stripes:
                out.lines.append("")
                out.events.append(("text", ""))
            i += 1
            continue
        if b == ESC:
            cmd = data[i + 1]
            if cmd == ord("*"):
                m, width = data[i + 2], _le(data[i + 3], data[i + 4])
                per_col = 3 if m in (32, 33) else 1
                raw = data[i + 5:i + 5 + width * per_col]
                # column-major: 3 bytes per column, top dot first → transpose back
                col = Image.frombytes("1", (8 * per_col, width), raw)
                stripes.append(col.transpose(Image.Transpose.TRANSPOSE))
                i += 5 + width * per_col
                continue
            end_stripes()
            if cmd == ord("@"):
                kanji = False
                out.events.append(("init", None))
                i += 2
            elif cmd in (ord("3"), ord("E"), ord("a"), ord("J"), ord("d"), ord("!"), ord("-"), ord("t"), ord("M")):
                out.events.append(({ord("3"): "spacing", ord("E"): "bold", ord("a"): "align", ord("J"): "feed",
                                    ord("d"): "feedlines", ord("!"): "mode", ord("-"): "underline", ord("t"): "codepage",
                                    ord("M"): "font"}[cmd], data[i + 2]))
                i += 3
            elif cmd == ord("2"):
                out.events.append(("spacing", None))
                i += 2
            elif cmd == ord("p"):
                pin = 5 if data[i + 2] in (1, 49) else 2
                out.drawer.append(pin)
                out.events.append(("drawer", pin))
                i += 5
            else:
                raise ValueError(f"unknown ESC 0x{cmd:02x} at {i}")
            continue
        if stripes:
            end_stripes()
        if b == GS:
            cmd = data[i + 1]
            if cmd == ord("!"):
                out.events.append(("size", data[i + 2]))
                i += 3
            elif cmd == ord("V"):
                m = data[i + 2]
                out.cuts += 1
                out.events.append(("cut", m))
                i += 4 if m in (65, 66, 97, 98, 103, 104) else 3
            elif cmd == 0x0C:
                out.label_feeds += 1
                out.events.append(("label", None))
                i += 2
            elif cmd == ord("v") and data[i + 2] == ord("0"):
                xb, h = _le(data[i + 4], data[i + 5]), _le(data[i + 6], data[i + 7])
                raw = data[i + 8:i + 8 + xb * h]
                assert len(raw) == xb * h, "GS v 0 image data cut short"
                out.images.append(_ink_image(Image.frombytes("1", (xb * 8, h), raw)))
                out.events.append(("image", "gsv0"))
                i += 8 + xb * h
            elif cmd == ord("(") and data[i + 2] == ord("k"):
                size = _le(data[i + 3], data[i + 4])
                body = data[i + 5:i + 5 + size]
                cn, fn = body[0], body[1]
                if cn == 49 and fn == 80:
                    out.qr_native.append(body[3:].decode("utf-8"))
                    out.events.append(("qr_store", body[3:].decode("utf-8")))
                elif cn == 49 and fn == 81:
                    out.events.append(("qr_print", None))
                else:
                    out.events.append(("qr_fn", (fn, bytes(body[2:]))))
                i += 5 + size
            else:
                raise ValueError(f"unknown GS 0x{cmd:02x} at {i}")
            continue
        if b == FS:
            cmd = data[i + 1]
            if cmd == ord("&"):
                kanji = True
            elif cmd == ord("."):
                kanji = False
            else:
                raise ValueError(f"unknown FS 0x{cmd:02x} at {i}")
            i += 2
            continue
        if b == DLE and data[i + 1] == 0x04:
            out.status_queries.append(data[i + 2])
            out.events.append(("status", data[i + 2]))
            i += 3
            continue
        if b < 0x20:
            raise ValueError(f"unknown control byte 0x{b:02x} at {i}")
        # printable text: run until a control byte
        j = i
        while j < n and data[j] >= 0x20:
            if kanji and data[j] >= 0x81:  # GB18030 double-byte / four-byte sequences may contain low bytes
                step = 4 if j + 1 < n and 0x30 <= data[j + 1] <= 0x39 else 2
                j += step
            else:
                j += 1
        segments.append((bytes(data[i:j]), "gb18030" if kanji else codepage))
        i = j
    end_stripes()
    if segments:
        end_line()
    return out
