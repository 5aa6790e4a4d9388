from odoo import api, models


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model_create_multi
    def create(self, vals_list):
        quants = super().create(vals_list)
        self.env["sale.fulfilment.booking"]._mark_products(quants.product_id.ids)
        return quants

    def write(self, vals):
        res = super().write(vals)
        if {"quantity", "reserved_quantity", "location_id", "product_id"} & set(vals):
            self.env["sale.fulfilment.booking"]._mark_products(self.product_id.ids)
        return res

    def unlink(self):
        self.env["sale.fulfilment.booking"]._mark_products(self.product_id.ids)
        return super().unlink()
