"""Getting bytes to a printer through python-escpos's transports, and asking it how it is.

Connections: ``network`` (``escpos.printer.Network``, raw TCP, port 9100), ``usb`` (``Usb``, needs
pyusb), ``serial`` (``Serial``, needs pyserial), ``file`` (``File``, e.g. ``/dev/usb/lp0``) and ``dummy``
(``Dummy``; what it receives is appended to :data:`DUMMY_SINK` for tests and demos).

Status: where the transport can read (network, usb, serial) and the printer's ``status_query`` setting is
on, :func:`send` first sends ``DLE EOT 1`` (printer status: bit 3 = offline) and ``DLE EOT 4`` (roll paper
sensor: bits 5–6 = paper end, bits 2–3 = near end) — Epson ESC/POS command reference, ``DLE EOT n``
real-time status transmission — and sends nothing if there is no valid answer within the status timeout,
the printer is offline or out of paper. After the job it asks again, so a connection dropped mid-job is
noticed (the job is then retried: a partial print is not a print).
"""

import socket
from collections import defaultdict

DLE_EOT = b"\x10\x04"
CHUNK = 4096  #: bytes per write; each write may take up to the connect timeout
DUMMY_SINK = defaultdict(list)  #: printer id → list of byte strings received by Dummy printers


class PrinterUnavailable(Exception):
    """The printer cannot take the job now. ``state`` is ``offline``, ``no_paper`` or ``error``;
    ``sent`` is True when some bytes of the job may already have been written."""

    def __init__(self, state, detail, sent=False):
        super().__init__(detail)
        self.state = state
        self.detail = detail
        self.sent = sent


def open_device(printer, timeout=5.0):
    """A connected python-escpos printer object for the ``printers`` row ``printer``.

    Raises:
        PrinterUnavailable: the device cannot be opened (refused, unplugged, missing driver module).
    """
    from escpos.exceptions import DeviceNotFoundError  # function-level: python-escpos loads when a printer is used

    kind = printer["connection"]
    try:
        if kind == "network":
            from escpos.printer import Network  # function-level: only the chosen transport's backend

            device = Network(printer["host"], int(printer["port"]), timeout=timeout)
        elif kind == "usb":
            from escpos.printer import Usb  # function-level: only the chosen transport's backend

            device = Usb(printer["usb_vendor"], printer["usb_product"], timeout=int(timeout * 1000))
        elif kind == "serial":
            from escpos.printer import Serial  # function-level: only the chosen transport's backend

            device = Serial(printer["serial_device"], baudrate=int(printer["baudrate"]), timeout=timeout)
        elif kind == "file":
            from escpos.printer import File  # function-level: only the chosen transport's backend

            device = File(printer["file_path"])
        else:
            from escpos.printer import Dummy  # function-level: only the chosen transport's backend

            device = Dummy()
        if kind == "network":
            # python-escpos 3.1's Network.open() drops the socket of a refused connection without closing it
            # (a ResourceWarning on every retry); socket.create_connection closes it when it fails
            device.device = socket.create_connection((printer["host"], int(printer["port"])), timeout=timeout)
        else:
            device.open()
        if kind != "dummy" and device.device is None:
            raise PrinterUnavailable("offline", f"{kind} device not available")
    except PrinterUnavailable:
        raise
    except (DeviceNotFoundError, OSError, ImportError, ValueError) as exc:
        raise PrinterUnavailable("offline", f"{exc.__class__.__name__}: {exc}".strip()) from None
    except Exception as exc:  # python-escpos raises its own errors for USB/serial; all mean "not reachable"
        raise PrinterUnavailable("offline", f"{exc.__class__.__name__}: {exc}".strip()) from None
    return device


def can_query(printer):
    """True when the status query is on and the transport can read answers."""
    return bool(printer["status_query"]) and printer["connection"] in ("network", "usb", "serial")


def _read_byte(device, timeout):
    if isinstance(getattr(device, "_device", None), socket.socket):
        device._device.settimeout(timeout)
    data = device._read()
    if not data:
        raise PrinterUnavailable("offline", "connection closed by the printer")
    return data[-1] if isinstance(data, (bytes, bytearray)) else list(data)[-1]


def query_status(device, timeout=2.0):
    """Ask ``DLE EOT 1`` and ``DLE EOT 4``; return ``(state, detail)`` with state ``online``,
    ``paper_low``, or raise :class:`PrinterUnavailable` (``offline``/``no_paper``).

    An answer byte has bits 1 and 4 set and bits 0 and 7 clear (fixed bits of every ``DLE EOT`` reply).
    """
    try:
        device._raw(DLE_EOT + b"\x01")
        printer_status = _read_byte(device, timeout)
        device._raw(DLE_EOT + b"\x04")
        paper = _read_byte(device, timeout)
    except PrinterUnavailable:
        raise
    except (socket.timeout, TimeoutError):
        raise PrinterUnavailable("offline", "the printer did not answer the status query (if it is on and never "
                                            "answers, turn off 'Ask the printer for its status')") from None
    except Exception as exc:
        raise PrinterUnavailable("offline", f"{exc.__class__.__name__}: {exc}") from None
    for byte in (printer_status, paper):
        if byte & 0x93 != 0x12:
            raise PrinterUnavailable("error", f"unexpected status byte 0x{byte:02x}")
    if printer_status & 0x08:
        raise PrinterUnavailable("offline", "the printer is offline (cover open or paper out)")
    if paper & 0x60:
        raise PrinterUnavailable("no_paper", "out of paper")
    if paper & 0x0C:
        return "paper_low", "paper is running low"
    return "online", ""


def send(printer, data, *, connect_timeout=5.0, status_timeout=2.0, before_send=None):
    """Send ``data`` (bytes) to ``printer`` (a ``printers`` row) and return ``(state, detail)``.

    ``before_send()`` is called after the printer answered the status query and just before the first
    byte of the job is written (the queue records "printing" there; see :mod:`printing.jobs`).

    Raises:
        PrinterUnavailable: cannot connect, no status answer, offline, out of paper (``sent`` False:
            nothing of the job was written), or the connection failed while or after sending (``sent`` True).
    """
    device = open_device(printer, connect_timeout)
    try:
        state, detail = "online", ""
        if can_query(printer):
            state, detail = query_status(device, status_timeout)
        if before_send:
            before_send()
        try:
            # in pieces: since Python 3.5 a socket timeout bounds the whole sendall, and a printer takes
            # data at print speed, so a long tag batch would time out as one piece
            for start in range(0, len(data), CHUNK):
                device._raw(data[start:start + CHUNK])
            if can_query(printer):
                query_status(device, status_timeout)
        except PrinterUnavailable as exc:
            raise PrinterUnavailable(exc.state, exc.detail, sent=True) from None
        except Exception as exc:
            raise PrinterUnavailable("offline", f"{exc.__class__.__name__}: {exc}", sent=True) from None
        if printer["connection"] == "dummy":
            DUMMY_SINK[printer["id"]].append(device.output)
        return state, detail
    finally:
        try:
            device.close()
        except Exception:  # closing a broken connection must not hide the real outcome
            pass
