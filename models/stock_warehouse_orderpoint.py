from odoo import api, models


class StockWarehouseOrderpoint(models.Model):
    _inherit = "stock.warehouse.orderpoint"

    @api.model_create_multi
    def create(self, vals_list):
        orderpoints = super().create(vals_list)
        self.env["sale.fulfilment.booking"]._mark_products(orderpoints.product_id.ids)
        return orderpoints

    def write(self, vals):
        res = super().write(vals)
        if {"product_min_qty", "active", "product_id", "warehouse_id"} & set(vals):
            self.env["sale.fulfilment.booking"]._mark_products(self.product_id.ids)
        return res

    def unlink(self):
        self.env["sale.fulfilment.booking"]._mark_products(self.product_id.ids)
        return super().unlink()
