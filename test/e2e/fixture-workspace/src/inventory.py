"""Stock levels for the warehouse, keyed by SKU."""

RESTOCK_THRESHOLD = 5


class Inventory:
    def __init__(self):
        self.items = {}

    def add(self, sku, count):
        self.items[sku] = self.items.get(sku, 0) + count

    def remove(self, sku, count):
        have = self.items.get(sku, 0)
        if count > have:
            raise ValueError(f"only {have} of {sku} in stock")
        self.items[sku] = have - count

    def needs_restock(self):
        return sorted(sku for sku, n in self.items.items() if n < RESTOCK_THRESHOLD)
