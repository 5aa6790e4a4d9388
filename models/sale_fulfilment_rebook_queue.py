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
    # Which transaction queued the row: the booking after that commit may go on
    # from the pools' state (orders appended at the bottom) only when every
    # row it consumes is its own; another's row may stand for any change.
    token = fields.Char(string="Queued in transaction", readonly=True)
