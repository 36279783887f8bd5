"""Consignment: contracts, markdowns, expiry, the consignor ledger and payouts, statements, market days."""
