from odoo import fields, models


class PurchaseOrderLine(models.Model):
    _inherit = "purchase.order.line"

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
