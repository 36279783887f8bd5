"""Inline SVG icons for buttons and the navigation bar.

Emoji looked like tofu (□) on hubs without an emoji font (Raspberry Pi OS, Debian kiosks), so pages draw
these small stroke icons instead; they use ``currentColor`` and scale with the text. ``icon()`` is a
template global: ``{{ icon('print') }}``. Navigation entries registered with an emoji
(``add_nav(..., icon="🖨")``) are mapped through :data:`EMOJI`; an unknown icon renders nothing rather
than a tofu box.
"""

from markupsafe import Markup

#: name → SVG body (24 × 24 view box, stroked).
PATHS = {
    "till": '<circle cx="9" cy="20" r="1.5"/><circle cx="18" cy="20" r="1.5"/>'
            '<path d="M2 3h3l2.6 12.2a1 1 0 0 0 1 .8h9.7a1 1 0 0 0 1-.8L21 7H6"/>',
    "plus": '<path d="M12 5v14M5 12h14"/>',
    "tag": '<path d="M20.6 13.4l-7.2 7.2a2 2 0 0 1-2.8 0L3 13V3h10l7.6 7.6a2 2 0 0 1 0 2.8z"/>'
           '<circle cx="7.5" cy="7.5" r="1.5"/>',
    "people": '<circle cx="9" cy="8" r="4"/><path d="M2 21v-1a6 6 0 0 1 6-6h2a6 6 0 0 1 6 6v1"/>'
              '<path d="M16 4a4 4 0 0 1 0 8M22 21v-1a6 6 0 0 0-4-5.7"/>',
    "receipt": '<path d="M5 2h14v20l-3-2-2 2-2-2-2 2-2-2-3 2z"/><path d="M9 7h6M9 11h6M9 15h4"/>',
    "staff": '<circle cx="12" cy="7" r="4"/><path d="M4 21v-1a7 7 0 0 1 7-7h2a7 7 0 0 1 7 7v1"/>',
    "print": '<path d="M6 9V3h12v6"/><path d="M6 18H4a2 2 0 0 1-2-2v-5a2 2 0 0 1 2-2h16a2 2 0 0 1 2 2v5a2 2 0 0 1-2 2h-2"/>'
             '<path d="M6 14h12v8H6z"/>',
    "camera": '<path d="M23 19a2 2 0 0 1-2 2H3a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h4l2-3h6l2 3h4a2 2 0 0 1 2 2z"/>'
              '<circle cx="12" cy="13" r="4"/>',
    "qr": '<rect x="3" y="3" width="7" height="7"/><rect x="14" y="3" width="7" height="7"/>'
          '<rect x="3" y="14" width="7" height="7"/><path d="M14 14h3v3h-3zM20 14v7M14 20h3"/>',
    "check": '<path d="M20 6L9 17l-5-5"/>',
    "x": '<path d="M18 6L6 18M6 6l12 12"/>',
    "contrast": '<circle cx="12" cy="12" r="9"/><path d="M12 3a9 9 0 0 1 0 18z" fill="currentColor"/>',
    "logout": '<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4M16 17l5-5-5-5M21 12H9"/>',
    "sync": '<path d="M21 12a9 9 0 0 1-15.5 6.2L3 16M3 12a9 9 0 0 1 15.5-6.2L21 8"/><path d="M21 3v5h-5M3 21v-5h5"/>',
    "cash": '<rect x="2" y="6" width="20" height="12" rx="2"/><circle cx="12" cy="12" r="2.5"/>',
    "clock": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
    "settings": '<circle cx="12" cy="12" r="3"/><path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1'
                'M4.9 19.1L7 17M17 7l2.1-2.1"/>',
    "report": '<path d="M3 3v18h18"/><path d="M7 15l4-4 3 3 6-6"/>',
    "menu": '<path d="M4 6h16M4 12h16M4 18h16"/>',
}

#: emoji used by areas' navigation entries → icon name.
EMOJI = {"🛒": "till", "➕": "plus", "🏷": "tag", "🏷️": "tag", "🤝": "people", "🧾": "receipt", "👥": "staff",
         "🖨": "print", "🖨️": "print", "📷": "camera", "✓": "check", "✕": "x", "🔄": "sync", "💴": "cash",
         "💰": "cash", "🕒": "clock", "⏱": "clock", "⚙": "settings", "⚙️": "settings", "📊": "report", "📈": "report"}


def icon(name, label=None):
    """An inline SVG icon (``aria-hidden`` unless ``label`` is given); empty for an unknown name or emoji."""
    key = EMOJI.get(name, name)
    body = PATHS.get(key)
    if not body:
        return Markup("")
    aria = f'role="img" aria-label="{Markup.escape(label)}"' if label else 'aria-hidden="true"'
    return Markup(f'<svg class="icon icon-{key}" viewBox="0 0 24 24" width="1.1em" height="1.1em" fill="none" '
                  f'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" '
                  f'focusable="false" {aria}>{body}</svg>')
