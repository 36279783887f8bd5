"""How long personal data is kept, and the purge when that time ends (PIPL Art. 19 and 47; issue 13 §5).

Retention is set per kind of record on ``/privacy/settings`` (days), counted from the person's last dealing
with the shop:

* **consignors** (``privacy_consignor_days``, default 1,095 = 3 years): from the latest of their registration,
  agreements, their items' consignment periods (``items.expires_at``), sales, expiries and payouts. Never
  while they still have goods in stock or money owed (the purge waits). Three years matches the general
  limitation period for civil claims (民法典 Art. 188), within which a consignor may dispute a payout. No law
  we know of requires keeping a consignor's identity longer, so the floor is 0 (PIPL Art. 19: no longer than
  needed) and an erasure request is carried out at once (:func:`consignment.erasure.erase_consignor`, which
  still refuses while money is owed).
* **sellers** (``privacy_seller_days``, default and **floor** 3,650 = 10 years): from their last buy-in. The
  purchase voucher that names the seller by name and ID number is the shop's record for the second-hand
  goods register (商务部《二手商品流通管理办法》Art. 13, see :mod:`buying.sellers`) and, for a purchase from an
  individual without an invoice, the tax deduction voucher that must carry the payee's name and ID number
  (国家税务总局公告2018年第28号《企业所得税税前扣除凭证管理办法》Art. 9); tax records are kept 10 years
  (《税收征收管理法实施细则》Art. 29). Within that floor an erasure request restricts the data instead
  (PIPL Art. 47 (2): stored, not processed; :func:`buying.sellers.restrict_seller`), and the purge erases it
  when the period ends. The floor is our reading of those rules, to be confirmed by the shop's adviser.
* **notice acknowledgements** are never purged here: kept at least 5 years (``core.notices.ACK_KEEP_DAYS``;
  design brief §6, the Shanghai rule), they hold no personal data in clear.

The purge (:func:`purge_due`, the ``privacy`` worker) wipes each due person in its own short transaction, so
it never holds the write lock for long, then checkpoints the WAL (``PRAGMA wal_checkpoint(TRUNCATE)``).
Running it again finds nothing left to do.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l

from buying import sellers
from consignment import erasure
from core import audit, clock
from core.db import checkpoint, rows, transaction
from core.errors import DomainError
from core.settings import get_setting, set_setting
from inventory.consignors import owed_to
from pos import trade_ins

DEFAULTS = {"privacy_consignor_days": 1095, "privacy_seller_days": 3650}
#: the shortest retention the settings page accepts, in days (see the module docstring for the sources)
FLOORS = {"privacy_consignor_days": 0, "privacy_seller_days": 3650}
MAX_DAYS = 36500
#: how far ahead the owner's page looks, in days
OUTLOOK_DAYS = 90


def retention_days(db, key):
    """The retention setting ``key`` (:data:`DEFAULTS`) in days, never below its floor."""
    value = get_setting(db, key)
    return max(int(DEFAULTS[key] if value is None else value), FLOORS[key])


def save_retention(db, key, days):
    """Store a retention period (call inside a transaction).

    Raises:
        KeyError: not a retention setting. DomainError: (field ``key``) not a whole number of days, below the
            legal floor or above 100 years.
    """
    if key not in DEFAULTS:
        raise KeyError(key)
    try:
        days = int(str(days).strip())
    except ValueError:
        raise DomainError(_l("Enter a whole number of days."), field=key) from None
    if days < FLOORS[key]:
        raise DomainError(_l("At least %(n)d days: the law requires keeping these records that long.",
                             n=FLOORS[key]), field=key)
    if days > MAX_DAYS:
        raise DomainError(_l("At most %(n)d days.", n=MAX_DAYS), field=key)
    set_setting(db, key, days)


_CONSIGNOR_LAST = """
    SELECT c.id, c.number, max(c.created_at,
        COALESCE((SELECT max(a.created_at) FROM agreements a WHERE a.consignor_id = c.id), ''),
        COALESCE((SELECT max(COALESCE(i.expires_at, '')) FROM items i WHERE i.consignor_id = c.id), ''),
        COALESCE((SELECT max(COALESCE(i.sold_at, '')) FROM items i WHERE i.consignor_id = c.id), ''),
        COALESCE((SELECT max(e.at) FROM expiries e WHERE e.consignor_id = c.id), ''),
        COALESCE((SELECT max(p.at) FROM payouts p WHERE p.consignor_id = c.id), '')) AS last_at,
        (SELECT count(*) FROM items i WHERE i.consignor_id = c.id AND i.status = 'available') AS in_stock
    FROM consignors c WHERE c.erased_at IS NULL"""

_SELLER_LAST = """
    SELECT s.id, s.restricted_at, max(s.created_at,
        COALESCE((SELECT max(b.at) FROM buy_ins b WHERE b.seller_id = s.id), '')) AS last_at
    FROM sellers s WHERE s.erased_at IS NULL"""


def schedule(db, moment=None, days=None):
    """Who is due to be purged, and when: everyone not yet erased whose retention ends before ``moment`` +
    ``days`` (default :data:`OUTLOOK_DAYS`; ``days=0``: due now), soonest first.

    Returns:
        list[dict]: ``kind`` (``consignor`` / ``seller``), ``id``, ``label`` (the consignor's number, or the
        seller's ``#id``), ``last_at`` (ISO UTC of the last dealing), ``due_at`` (aware UTC ``datetime``),
        ``held`` (``None``, or why the purge waits: ``"stock"`` goods in the shop, ``"owed"`` money owed) and
        ``restricted`` (bool: a seller whose erasure request is waiting for the legal period).
    """
    moment = moment or clock.now()
    horizon = moment + timedelta(days=OUTLOOK_DAYS if days is None else days)
    found = []
    keep = timedelta(days=retention_days(db, "privacy_consignor_days"))
    for row in rows(db, _CONSIGNOR_LAST):
        due = clock.parse(row["last_at"]) + keep
        if due > horizon:
            continue
        held = "stock" if row["in_stock"] else ("owed" if owed_to(db, row["id"]) > 0 else None)
        found.append({"kind": "consignor", "id": row["id"], "label": row["number"], "last_at": row["last_at"],
                      "due_at": due, "held": held, "restricted": False})
    keep = timedelta(days=retention_days(db, "privacy_seller_days"))
    for row in rows(db, _SELLER_LAST):
        due = clock.parse(row["last_at"]) + keep
        if due <= horizon:
            found.append({"kind": "seller", "id": row["id"], "label": f"#{row['id']}", "last_at": row["last_at"],
                          "due_at": due, "held": None, "restricted": bool(row["restricted_at"])})
    return sorted(found, key=lambda entry: (entry["due_at"], entry["kind"], entry["id"]))


def seller_hold_until(db, seller_id):
    """When the legal floor for keeping a seller's data ends (aware UTC ``datetime``): their last buy-in +
    ``FLOORS["privacy_seller_days"]``; ``None`` for an unknown or erased seller."""
    found = rows(db, _SELLER_LAST + " AND s.id = ?", (seller_id,))
    if not found:
        return None
    return clock.parse(found[0]["last_at"]) + timedelta(days=FLOORS["privacy_seller_days"])


def purge_due(db, moment=None):
    """Purge everyone whose retention has ended (:func:`schedule` with ``days=0``, not held): consignors through
    :func:`consignment.erasure.erase_consignor`, sellers through :func:`buying.sellers.erase_seller`, each in its
    own short transaction, audited as ``privacy.purge`` (by the system); then the WAL is checkpointed and
    truncated and ``privacy_last_purge_at`` is set.
    Trade-in lines left in abandoned carts (:func:`pos.trade_ins.drop_abandoned`) go first. Idempotent: a second
    run finds nobody due and writes nothing.

    Returns:
        dict: ``consignors`` and ``sellers`` purged (counts), ``held`` (due but waiting: stock or money owed).
    """
    moment = moment or clock.now()
    done = {"consignors": 0, "sellers": 0, "held": 0}
    abandoned = trade_ins.drop_abandoned(db, moment)  # sealed sellers in carts left behind (pos.trade_ins)
    for entry in schedule(db, moment, days=0):
        if entry["held"]:
            done["held"] += 1
            continue
        if entry["kind"] == "consignor":
            try:
                erasure.erase_consignor(db, entry["id"], moment=moment, checkpoint_wal=False,
                                        audit_action="privacy.purge")
            except DomainError:  # money came due meanwhile: wait for the payout
                done["held"] += 1
                continue
            done["consignors"] += 1
        else:
            with transaction(db):
                if sellers.erase_seller(db, entry["id"], moment=moment):
                    audit.record(db, None, "privacy.purge", "seller", entry["id"], moment=moment,
                                 fields=("name", "id_type", "id_number", "phone"))
                    done["sellers"] += 1
    if done["consignors"] or done["sellers"]:
        with transaction(db):
            set_setting(db, "privacy_last_purge_at", clock.iso(moment))
    if done["consignors"] or done["sellers"] or abandoned:
        checkpoint(db)
    return done
