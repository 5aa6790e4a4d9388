from odoo import fields, models

from ..vocabulary import INGREDIENT_STATUSES


class SaleFulfilmentProductionAvailability(models.Model):
    """The worst availability of an open MO's components, under the MO's own id.

    Written only by ``sale.fulfilment.booking``, in bulk SQL; read through the
    MO's ``ingredient_availability`` fields. A closed MO keeps no row.
    """

    _name = "sale.fulfilment.production.availability"
    _description = "Ingredient availability of a manufacturing order"
    _inherit = ["fulfilment.booked.row.mixin"]
    _log_access = False
    _booked_record_model = "mrp.production"

    status = fields.Selection(INGREDIENT_STATUSES, required=True, readonly=True)
    date = fields.Date(readonly=True)
