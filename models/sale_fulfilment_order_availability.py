from odoo import fields, models

from ..vocabulary import AVAILABILITY_STATUSES


class SaleFulfilmentOrderAvailability(models.Model):
    """The worst availability of a sales order's lines, under the order's own id.

    Written only by ``sale.fulfilment.booking``, in bulk SQL; read through the
    order's ``availability_status`` and ``availability_date``. An order without
    a row is Not applicable.
    """

    _name = "sale.fulfilment.order.availability"
    _description = "Availability of a sales order"
    _inherit = ["fulfilment.booked.row.mixin"]
    _log_access = False
    _booked_record_model = "sale.order"

    status = fields.Selection(AVAILABILITY_STATUSES, required=True, readonly=True)
    date = fields.Date(readonly=True)
