from odoo import api, fields, models


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

    @api.model_create_multi
    def create(self, vals_list):
        productions = super().create(vals_list)
        productions.filtered(lambda p: not p.schedule_priority)._append_to_ranks()
        return productions
