"""The printer form (Flask-WTF: CSRF and field handling). The template writes its inputs by hand (connection
fields shown per connection); the rules are :func:`printing.printers.validate`'s."""

from wtforms import BooleanField, StringField

from core.forms import Form, no_personal_data, optional_int

#: The printer's text settings, as the form's input names (and the ``printers`` columns).
TEXT_FIELDS = ("name", "connection", "host", "port", "usb_vendor", "usb_product", "serial_device", "baudrate",
               "file_path", "profile", "chinese_mode", "qr_mode", "raster", "tag_media", "drawer_pin")
#: Its on/off settings (checkboxes: absent means off).
FLAGS = ("for_receipts", "for_tags", "for_reports", "kick_on_cash", "status_query", "enabled")


class PrinterForm(Form):
    """Add or edit a printer; :meth:`settings` gives what :func:`printing.printers.save_printer` takes."""

    def settings(self):
        """The settings sent: text fields as typed (only those the form sent), every flag as a bool."""
        data = {name: self[name].data for name in TEXT_FIELDS if self[name].raw_data}
        data.update({name: bool(self[name].data) for name in FLAGS})
        return data


for _name in TEXT_FIELDS:
    # the printer's name is free text; the rest are addresses, ports, device paths and choices
    setattr(PrinterForm, _name, StringField(validators=[no_personal_data] if _name == "name" else []))
for _name in FLAGS:
    setattr(PrinterForm, _name, BooleanField())
del _name


def _copies(value):
    """1–20 copies; anything else that is not a number is 1."""
    number = optional_int(value)
    return min(max(number, 1), 20) if number is not None else 1


class DrawerForm(Form):
    """Open the cash drawer through ``printer_id`` (``None``: the receipt printer)."""

    printer_id = StringField(filters=[optional_int])


class CopiesForm(Form):
    """Print an item's tag ``copies`` times (1–20)."""

    copies = StringField(default="1", filters=[_copies])
