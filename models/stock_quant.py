from odoo import models


class StockQuant(models.Model):
    _name = "stock.quant"
    _inherit = ["stock.quant", "fulfilment.booking.trigger.mixin"]
    _booking_inputs = frozenset({"quantity", "reserved_quantity", "location_id", "product_id"})
