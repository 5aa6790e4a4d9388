from odoo import fields, models


class SaleFulfilmentRebookQueue(models.Model):
    """Products whose booking is owed: written in the transaction that changed
    them, consumed by the booking after its commit or by the scheduled action.

    Append-only on the users' side (plain inserts never conflict with other
    transactions' rows), so recording a product costs a user's save nothing
    but one insert, and survives a process that dies right after its commit.
    """

    _name = "sale.fulfilment.rebook.queue"
    _description = "Products to re-book"
    _log_access = False

    product_id = fields.Many2one(
        "product.product", required=True, index=True, readonly=True, ondelete="cascade"
    )
    queued_at = fields.Datetime(readonly=True)
    # What the queuing transaction changed of the product, when that was only
    # orders it appended at the bottom of the ranks, sales deliveries it
    # validated, or orders it reordered ({"orders": [ids], "moves": [ids],
    # "reordered": {product id: [ids of the orders whose lines changed
    # places]}}): the booking that consumes the row may go on from the pools'
    # state, or find nothing to book again. Empty: anything may have changed,
    # the product is booked in full.
    changes = fields.Json(string="What changed", readonly=True)
