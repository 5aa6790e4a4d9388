from odoo import models


class StockWarehouseOrderpoint(models.Model):
    _name = "stock.warehouse.orderpoint"
    _inherit = ["stock.warehouse.orderpoint", "fulfilment.booking.trigger.mixin"]
    _booking_inputs = frozenset({"product_min_qty", "active", "product_id", "warehouse_id"})
