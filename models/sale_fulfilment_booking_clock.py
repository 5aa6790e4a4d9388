from odoo import fields, models


class SaleFulfilmentBookingClock(models.Model):
    """How many times each product was booked.

    Every booking bumps the clocks of its products before writing anything.
    A booking in a REPEATABLE READ transaction whose snapshot is older than
    another booking's commit fails to bump (a serialization error), which
    makes it give way instead of writing stale results
    (``sale.fulfilment.rebook``).
    """

    _name = "sale.fulfilment.booking.clock"
    _description = "Bookings of a product"
    _log_access = False

    product_id = fields.Many2one(
        "product.product", required=True, readonly=True, ondelete="cascade"
    )
    bookings = fields.Integer(readonly=True)

    _sql_constraints = [
        ("product_uniq", "UNIQUE(product_id)", "One booking clock per product."),
    ]
