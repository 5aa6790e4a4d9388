from odoo import models

from .sale_fulfilment_rebook import CHECKED


class StockQuant(models.Model):
    _name = "stock.quant"
    _inherit = ["stock.quant", "fulfilment.booking.trigger.mixin"]
    _booking_inputs = frozenset({"quantity", "reserved_quantity", "location_id", "product_id"})

    def _booking_mark_kinds(self, vals=None, created=False):
        # What stock the pools are built from is checked by the booking of
        # appended orders (pool_state's inputs): a reservation that changes
        # nothing there needs no full booking.
        return {CHECKED: self}
