from odoo import fields, models

from ..vocabulary import COMPONENT_STATUSES


class SaleFulfilmentMoveAvailability(models.Model):
    """What the booking found for one MO component move, under the move's own id.

    Written only by ``sale.fulfilment.booking``, in bulk SQL; read through the
    move's ``fulfilment_*`` fields. Kept off ``stock_move``, a wide table that
    stock operations write all day.
    """

    _name = "sale.fulfilment.move.availability"
    _description = "Availability of a manufacturing component"
    _inherit = ["fulfilment.booked.row.mixin"]
    _log_access = False
    _booked_record_model = "stock.move"

    status = fields.Selection(COMPONENT_STATUSES, required=True, readonly=True)
    date = fields.Date(readonly=True)
    missing_qty = fields.Float(digits="Product Unit of Measure", readonly=True)
