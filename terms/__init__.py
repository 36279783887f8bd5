"""The terms goods are consigned under, below the till: contracts and their commission splits
(``contracts``), markdown schedules (``markdowns``), the price an item sells for now and how a sale
splits (``pricing``), the consignor ledger read model (``ledger``) and the consignment settings
(``settings``). Imports nothing but ``core``; the till, inventory and the consignment office ask it.
"""
