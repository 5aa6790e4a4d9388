from odoo import fields, models

from ..vocabulary import AVAILABILITY_STATUSES


class SaleFulfilmentLineAvailability(models.Model):
    """What the booking found for one sales line, under the line's own id.

    Written only by ``sale.fulfilment.booking``, in bulk SQL; read through the
    line's ``availability_*`` and ``missing_qty`` fields. A line without a row is
    Not applicable (quotations, services, lines never booked).
    """

    _name = "sale.fulfilment.line.availability"
    _description = "Availability of a sales line"
    _inherit = ["fulfilment.booked.row.mixin"]
    _log_access = False
    _booked_record_model = "sale.order.line"

    status = fields.Selection(AVAILABILITY_STATUSES, required=True, readonly=True)
    date = fields.Date(readonly=True)
    missing_qty = fields.Float(digits="Product Unit of Measure", readonly=True)
    # What the line's explanation names: stock booked, documents with dates.
    details = fields.Json(readonly=True)
