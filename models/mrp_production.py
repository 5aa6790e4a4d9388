from odoo import api, fields, models

INGREDIENT_STATUSES = [
    ("in_stock", "In stock"),
    ("expected", "Expected"),
    ("not_available", "Not available"),
    ("no_recipe", "No recipe"),
]
BOOKING_INPUTS = {
    "state",
    "product_id",
    "product_qty",
    "bom_id",
    "date_start",
    "date_finished",
    "sale_line_id",
    "fulfilment_mode",
    "location_src_id",
}


class MrpProduction(models.Model):
    _name = "mrp.production"
    _inherit = ["mrp.production", "fulfilment.rank.mixin"]
    _rank_field = "schedule_priority"

    schedule_priority = fields.Integer(
        string="Schedule rank",
        index=True,
        copy=False,
        default=0,
        help="Production priority: manufacturing orders with a lower rank book their "
        "components first. Drag orders in the Schedule list to change it; a new "
        "manufacturing order goes to the bottom.",
    )
    fulfilment_mode = fields.Selection(
        [("make_to_order", "Make to order"), ("make_in_batch", "Make in batch")],
        string="Fulfilment",
        copy=False,
        index=True,
        readonly=True,
        help="Make to order: made for one sales line, which its output is promised to. "
        "Make in batch: made to stock; its output joins the stock any line may book.",
    )
    ingredient_availability = fields.Selection(
        INGREDIENT_STATUSES,
        string="Ingredients",
        readonly=True,
        copy=False,
        help="Components book stock and expected supply after the sales lines, in "
        "Schedule rank order. In stock: every remaining component is booked from stock. "
        "Expected: some only from expected supply. Not available: some could not be "
        "booked. No recipe: no bill of materials.",
    )
    ingredient_availability_date = fields.Date(
        string="Ingredients expected on",
        readonly=True,
        copy=False,
        help="The date of the latest expected supply the components booked.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        productions = super().create(vals_list)
        productions.filtered(lambda p: not p.schedule_priority)._append_to_ranks()
        productions._mark_for_booking()
        return productions

    def write(self, vals):
        res = super().write(vals)
        if BOOKING_INPUTS & set(vals):
            self._mark_for_booking()
        return res

    def _on_ranks_changed(self):
        self._mark_for_booking()

    def _mark_for_booking(self):
        self.env["sale.fulfilment.booking"]._mark_products(
            self.product_id.ids + self.move_raw_ids.product_id.ids
        )
