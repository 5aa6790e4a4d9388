from odoo import api, fields, models

from ..vocabulary import INGREDIENT_STATUSES
from .fulfilment_actions import records_action

# Worst first, for an outsourced order's ingredients.
INGREDIENT_SEVERITY = ["not_available", "expected", "in_stock", "no_recipe"]


class PurchaseOrder(models.Model):
    _inherit = "purchase.order"

    is_outsourced = fields.Boolean(
        string="Outsourced",
        copy=False,
        index=True,
        help="Created by the Outsource option of the fulfilment wizard: the vendor makes the "
        "product from a subcontracting bill of materials.",
    )
    ingredient_availability = fields.Selection(
        INGREDIENT_STATUSES,
        string="Ingredients",
        compute="_compute_ingredient_availability",
        help="For an order at a subcontractor: the worst availability of the components "
        "Odoo resupplies him with, booked from the warehouse that sends them, in the "
        "subcontracting manufacturing order's schedule rank.",
    )
    ingredient_availability_date = fields.Date(
        string="Ingredients expected on", compute="_compute_ingredient_availability"
    )
    fulfilment_sale_order_count = fields.Integer(
        string="Sales", compute="_compute_fulfilment_sale_order_count"
    )

    @api.depends(
        "order_line.move_ids.move_orig_ids.production_id.ingredient_availability",
        "order_line.move_ids.move_orig_ids.production_id.ingredient_availability_date",
    )
    def _compute_ingredient_availability(self):
        for order in self:
            # sudo: the order's own subcontracting MOs, of which only the
            # ingredient status is shown, also to a buyer without Manufacturing
            # rights (the MOs' booked fields check read access).
            productions = order.order_line.move_ids._get_subcontract_production().sudo()
            statuses = set(productions.mapped("ingredient_availability"))
            order.ingredient_availability = next(
                (s for s in INGREDIENT_SEVERITY if s in statuses), False
            )
            dates = [d for d in productions.mapped("ingredient_availability_date") if d]
            order.ingredient_availability_date = (
                max(dates) if order.ingredient_availability == "expected" and dates else False
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
