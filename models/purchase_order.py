from odoo import api, fields, models

from .fulfilment_actions import records_action


class PurchaseOrder(models.Model):
    _inherit = "purchase.order"

    is_outsourced = fields.Boolean(
        string="Outsourced",
        copy=False,
        index=True,
        help="Created by the Outsource option of the fulfilment wizard: the vendor makes the "
        "product from a subcontracting bill of materials.",
    )
    fulfilment_sale_order_count = fields.Integer(
        string="Sales", compute="_compute_fulfilment_sale_order_count"
    )

    @api.depends("order_line.fulfilment_sale_line_ids")
    def _compute_fulfilment_sale_order_count(self):
        for order in self:
            order.fulfilment_sale_order_count = len(
                order.order_line.fulfilment_sale_line_ids.order_id
            )

    def action_view_fulfilment_sale_orders(self):
        self.ensure_one()
        return records_action(
            self.order_line.fulfilment_sale_line_ids.order_id,
            self.env._("Sales orders of %(po)s", po=self.name),
        )

    def _action_open_fulfilment_documents(self):
        return records_action(self, self.env._("Purchase orders"))
