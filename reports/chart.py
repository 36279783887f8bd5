"""A sales-by-day bar chart drawn on the server as SVG: no JavaScript, no chart library, prints as is.

Green bars are net sales of each day; red bars below the axis are the day's refunds. The y axis gets
"nice" ticks (1, 2, 2.5 or 5 × 10ⁿ yuan); x labels are thinned so they never overlap.
"""

from markupsafe import escape

WIDTH, HEIGHT = 960, 340
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 36, 48


def nice_step(span_fen, ticks=5):
    """A round tick step in fen (1, 2, 2.5 or 5 × a power of ten yuan, at least ¥1) covering ``span_fen``
    in about ``ticks`` steps."""
    raw = max(span_fen / ticks, 100)
    power = 100
    while power * 10 <= raw:
        power *= 10
    for mult in (1, 2, 2.5, 5, 10):
        if power * mult >= raw:
            return int(power * mult)
    return power * 10


def _yuan(fen):
    """Short axis label: ``¥1,200`` or ``¥2.5k``-free plain yuan with grouping (no decimals)."""
    sign = "−" if fen < 0 else ""
    yuan = abs(fen) / 100
    text = f"{yuan:,.0f}" if yuan == int(yuan) else f"{yuan:,.1f}"
    return f"{sign}¥{text}"


def sales_chart_svg(days, title="", empty_text="No sales in this period.", label_net="Net sales",
                    label_refunds="Refunds", show_title=True):
    """Draw the chart.

    Args:
        days: list of dicts with ``day`` (``YYYY-MM-DD``), ``net_sales_fen`` and ``refunds_fen`` (fen ≥ 0),
            one per day in order (as from :func:`reports.queries.sales_by_day`).
        title, empty_text, label_net, label_refunds: texts in the user's language (escaped here).
        show_title: draw the title and the date range inside the picture (for the stand-alone ``.svg``);
            the ``<title>`` for screen readers is always there.

    Returns:
        str: an ``<svg>`` element (``viewBox`` 960×340, scales to its container) with a ``<title>`` and a
        ``<desc>`` for screen readers, one ``<rect class="bar">`` per day with ``data-day`` and
        ``data-fen``.
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max([d["net_sales_fen"] for d in days] + [0])
    bottom = max([d["refunds_fen"] for d in days] + [0])
    step = nice_step(top + bottom)
    hi = -(-top // step) * step if top else step
    lo = -(-bottom // step) * step if bottom else 0
    span = hi + lo

    def y(fen):
        return TOP + plot_h * (hi - fen) / span

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" '
           f'aria-labelledby="chart-title chart-desc" font-family="system-ui, \'Noto Sans CJK SC\', '
           f'\'WenQuanYi Micro Hei\', sans-serif">',
           f'<title id="chart-title">{escape(title)}</title>',
           f'<desc id="chart-desc">{escape(label_net)}: {escape(_yuan(sum(d["net_sales_fen"] for d in days)))}; '
           f'{escape(label_refunds)}: {escape(_yuan(sum(d["refunds_fen"] for d in days)))}</desc>',
           (f'<text x="{LEFT}" y="22" font-size="16" font-weight="700" fill="#1d2433">{escape(title)}</text>'
            if show_title else ""),
           f'<rect x="{WIDTH - RIGHT - 250}" y="10" width="12" height="12" fill="#0b7a55"/>'
           f'<text x="{WIDTH - RIGHT - 232}" y="21" font-size="15" fill="#1d2433">{escape(label_net)}</text>'
           f'<rect x="{WIDTH - RIGHT - 120}" y="10" width="12" height="12" fill="#d92d20"/>'
           f'<text x="{WIDTH - RIGHT - 102}" y="21" font-size="15" fill="#1d2433">{escape(label_refunds)}</text>']
    value = -lo
    while value <= hi:
        yy = y(value)
        colour = "#667085" if value == 0 else "#e4e7ec"
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{colour}" '
                   f'stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 8}" y="{yy + 4:.1f}" font-size="14" text-anchor="end" fill="#667085">'
                   f'{escape(_yuan(value))}</text>')
        value += step
    n = max(len(days), 1)
    slot = plot_w / n
    bar_w = max(1.0, min(slot * 0.7, 48))
    label_every = max(1, -(-n * 44 // plot_w))  # a label needs about 44 px
    zero = y(0)
    for i, d in enumerate(days):
        x = LEFT + slot * i + (slot - bar_w) / 2
        net = d["net_sales_fen"]
        if net:
            out.append(f'<rect class="bar" data-day="{d["day"]}" data-fen="{net}" x="{x:.1f}" y="{y(net):.1f}" '
                       f'width="{bar_w:.1f}" height="{zero - y(net):.1f}" fill="#0b7a55" rx="2">'
                       f'<title>{d["day"]}: {escape(_yuan(net))}</title></rect>')
        else:
            out.append(f'<rect class="bar" data-day="{d["day"]}" data-fen="0" x="{x:.1f}" y="{zero:.1f}" '
                       f'width="{bar_w:.1f}" height="0"/>')
        if d["refunds_fen"]:
            out.append(f'<rect class="refund" data-day="{d["day"]}" data-fen="{d["refunds_fen"]}" x="{x:.1f}" '
                       f'y="{zero:.1f}" width="{bar_w:.1f}" height="{y(-d["refunds_fen"]) - zero:.1f}" '
                       f'fill="#d92d20" rx="2"><title>{d["day"]}: −{escape(_yuan(d["refunds_fen"]))}</title></rect>')
        if i % label_every == 0:
            cx = LEFT + slot * i + slot / 2
            out.append(f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 18}" font-size="14" text-anchor="middle" '
                       f'fill="#1d2433">{d["day"][5:]}</text>')
    if not any(d["net_sales_fen"] or d["refunds_fen"] for d in days):
        out.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{TOP + plot_h / 2:.1f}" font-size="16" text-anchor="middle" '
                   f'fill="#667085">{escape(empty_text)}</text>')
    if days and show_title:
        out.append(f'<text x="{LEFT}" y="{HEIGHT - 8}" font-size="14" fill="#667085">{days[0]["day"]} – '
                   f'{days[-1]["day"]}</text>')
    out.append("</svg>")
    return "".join(out)
