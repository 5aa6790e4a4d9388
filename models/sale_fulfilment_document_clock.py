from odoo import fields, models


class SaleFulfilmentDocumentClock(models.Model):
    """How many times each sales order's or MO's status was worked out by a
    booking of some of its products.

    An order shows the worst status of its lines, an MO of its components:
    lines and components of different products, which two transactions may
    book at the same moment without waiting for each other. Each booking
    bumps the clocks of the documents it writes: one whose REPEATABLE READ
    snapshot is older than another booking's commit of the same document
    fails to bump (a serialization error) and gives way, instead of judging
    the document by the other product's line as it was before that commit
    (``sale.fulfilment.booking``, ``_write_orders``). The products' own
    clocks (``sale.fulfilment.booking.clock``) cannot tell: the other
    transaction booked another product.
    """

    _name = "sale.fulfilment.document.clock"
    _description = "Bookings of a sales order or an MO"
    _log_access = False

    order_id = fields.Many2one("sale.order", readonly=True, ondelete="cascade")
    production_id = fields.Many2one("mrp.production", readonly=True, ondelete="cascade")
    bookings = fields.Integer(readonly=True)

    _sql_constraints = [
        ("order_uniq", "UNIQUE(order_id)", "One booking clock per sales order."),
        ("production_uniq", "UNIQUE(production_id)", "One booking clock per MO."),
        (
            "one_document",
            "CHECK((order_id IS NULL) != (production_id IS NULL))",
            "A booking clock counts the bookings of one sales order or one MO.",
        ),
    ]
