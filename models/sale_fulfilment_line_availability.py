from odoo import fields, models

from .sale_order_line import AVAILABILITY_STATUSES


class SaleFulfilmentLineAvailability(models.Model):
    """What the booking found for one sales line, under the line's own id.

    Written only by ``sale.fulfilment.booking``, in bulk SQL; read through the
    line's ``availability_*`` and ``missing_qty`` fields. A line without a row is
    Not applicable (quotations, services, lines never booked).
    """

    _name = "sale.fulfilment.line.availability"
    _description = "Availability of a sales line"
    _log_access = False

    status = fields.Selection(AVAILABILITY_STATUSES, required=True, readonly=True)
    date = fields.Date(readonly=True)
    missing_qty = fields.Float(digits="Product Unit of Measure", readonly=True)
    # What the line's explanation names: stock booked, documents with dates.
    details = fields.Json(readonly=True)
