"""schema.org ``Product`` / ``Offer`` data for an item's public page (issue 12 §5), as JSON-LD: what search engines
and shopping platforms read from the page (https://schema.org/Product, https://schema.org/Offer). Only facts the
page already shows; never a person's data (no consignor, seller or buyer)."""

#: ``items.status`` → schema.org ``ItemAvailability``: in stock, held for a reservation (the registry's item page
#: while a ``reserving`` hold lasts; https://schema.org/Reserved), sold, or gone from the shop otherwise.
AVAILABILITY = {"available": "https://schema.org/InStock", "reserved": "https://schema.org/Reserved",
                "sold": "https://schema.org/SoldOut"}
GONE = "https://schema.org/Discontinued"


def price_text(fen):
    """Integer fen → the decimal string schema.org wants for ``price`` (``12345`` → ``"123.45"``; no
    grouping or symbol, ``.`` as separator)."""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def product(item, *, price_fen, currency, page_url, category, image_url=None, shop_name=""):
    """The JSON-LD object (dict) of one item.

    Args:
        item: the item row (dict): ``title``, ``tag``, ``status`` (a key of :data:`AVAILABILITY`; any other
            word is ``Discontinued``), ``brand``, ``model``, ``condition``.
        price_fen: the price now (integer fen, ``terms.pricing.current_price``).
        currency: ISO 4217 code (``CNY``).
        page_url: the absolute URL of the item's public page (also the offer's URL).
        category: the category as the page shows it (the reader's language).
        image_url: absolute URL of the photo, or ``None``.
        shop_name: the seller of the offer (the shop; a business, not a person), or ``""``.

    Every second-hand item is ``UsedCondition``; the shop's own grade goes in ``additionalProperty``.
    """
    offer = {"@type": "Offer", "url": page_url, "price": price_text(price_fen), "priceCurrency": currency,
             "availability": AVAILABILITY.get(item["status"], GONE),
             "itemCondition": "https://schema.org/UsedCondition"}
    if shop_name:
        offer["seller"] = {"@type": "Organization", "name": shop_name}
    data = {"@context": "https://schema.org", "@type": "Product", "name": item["title"], "sku": item["tag"],
            "url": page_url, "category": category, "itemCondition": "https://schema.org/UsedCondition",
            "offers": offer}
    if item.get("condition"):
        data["additionalProperty"] = [{"@type": "PropertyValue", "name": "condition grade",
                                       "value": item["condition"]}]
    if item.get("brand"):
        data["brand"] = {"@type": "Brand", "name": item["brand"]}
    if item.get("model"):
        data["model"] = item["model"]
    if image_url:
        data["image"] = image_url
    return data
