from odoo import api, fields, models

BOOKING_INPUTS = {
    "state",
    "product_id",
    "product_uom_qty",
    "product_qty",
    "product_uom",
    "date",
    "location_id",
    "location_dest_id",
    "quantity",
    "sale_line_id",
    "production_id",
    "raw_material_production_id",
    "purchase_line_id",
}


class StockMove(models.Model):
    _inherit = "stock.move"

    fulfilment_status = fields.Selection(
        [("in_stock", "In stock"), ("expected", "Expected"), ("not_available", "Not available")],
        string="Booked",
        readonly=True,
        copy=False,
        help="For a component of a manufacturing order: what it booked, after the sales "
        "lines and the manufacturing orders ranked before it.",
    )
    fulfilment_date = fields.Date(readonly=True, copy=False)
    fulfilment_missing_qty = fields.Float(
        string="Missing", digits="Product Unit of Measure", readonly=True, copy=False
    )

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        self.env["sale.fulfilment.booking"]._mark_products(moves.product_id.ids)
        return moves

    def write(self, vals):
        touched = BOOKING_INPUTS & set(vals)
        before = self.product_id.ids if "product_id" in vals else []
        res = super().write(vals)
        if touched:
            self.env["sale.fulfilment.booking"]._mark_products(before + self.product_id.ids)
        return res

    def unlink(self):
        self.env["sale.fulfilment.booking"]._mark_products(self.product_id.ids)
        return super().unlink()
