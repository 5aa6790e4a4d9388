from odoo import fields, models


class SaleFulfilmentMoveAvailability(models.Model):
    """What the booking found for one MO component move, under the move's own id.

    Written only by ``sale.fulfilment.booking``, in bulk SQL; read through the
    move's ``fulfilment_*`` fields. Kept off ``stock_move``, a wide table that
    stock operations write all day.
    """

    _name = "sale.fulfilment.move.availability"
    _description = "Availability of a manufacturing component"
    _log_access = False

    status = fields.Selection(
        [("in_stock", "In stock"), ("expected", "Expected"), ("not_available", "Not available")],
        required=True,
        readonly=True,
    )
    date = fields.Date(readonly=True)
    missing_qty = fields.Float(digits="Product Unit of Measure", readonly=True)
