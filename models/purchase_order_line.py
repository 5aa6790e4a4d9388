from odoo import Command, api, fields, models

from ..vocabulary import PROCUREMENT_SALE_LINES


class PurchaseOrderLine(models.Model):
    _name = "purchase.order.line"
    _inherit = ["purchase.order.line", "fulfilment.booking.trigger.mixin"]
    # The expected arrival dates what the lines booked on the receipt show.
    _booking_inputs = frozenset({"date_planned"})

    fulfilment_sale_line_ids = fields.Many2many(
        "sale.order.line",
        "sale_fulfilment_purchase_line_rel",
        "purchase_line_id",
        "sale_line_id",
        string="Bought for",
        readonly=True,
        copy=False,
        help="The sales lines this purchase was created for from the fulfilment wizard.",
    )

    def _booking_products(self):
        # Only a confirmed order's receipts are expected supply.
        return self.filtered(lambda line: line.order_id.state == "purchase").product_id

    @api.model
    def _prepare_purchase_order_line_from_procurement(
        self,
        product_id,
        product_qty,
        product_uom,
        location_dest_id,
        name,
        origin,
        company_id,
        values,
        po,
    ):
        vals = super()._prepare_purchase_order_line_from_procurement(
            product_id,
            product_qty,
            product_uom,
            location_dest_id,
            name,
            origin,
            company_id,
            values,
            po,
        )
        sale_lines = values.get(PROCUREMENT_SALE_LINES)
        if sale_lines:
            vals["fulfilment_sale_line_ids"] = [Command.link(line.id) for line in sale_lines]
        return vals
