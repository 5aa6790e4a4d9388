from odoo import api, fields, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "fulfilment.rank.mixin"]
    _rank_field = "fulfilment_priority"

    fulfilment_priority = fields.Integer(
        string="Rank",
        index=True,
        copy=False,
        default=0,
        help="Sales priority: orders with a lower rank book stock and expected supply "
        "first. Drag orders in the Sales priority list to change it; a newly "
        "confirmed order goes to the bottom.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders.filtered(lambda o: not o.fulfilment_priority)._append_to_ranks()
        return orders

    def action_confirm(self):
        res = super().action_confirm()
        self.filtered(lambda o: o.state == "sale")._append_to_ranks()
        return res
