from odoo import api, models
from odoo.exceptions import MissingError

from .sale_fulfilment_rebook import OTHER


class FulfilmentBookingTriggerMixin(models.AbstractModel):
    """Marks products for booking when records that feed the booking change.

    The one mechanism behind freshness: a model lists the fields whose change
    can move what is booked (``_booking_inputs``) and says which products its
    records concern (``_booking_products``); creating, writing one of those
    fields and deleting mark those products, before and after the change, and
    ``sale.fulfilment.rebook`` books them at the end of the transaction.
    """

    _name = "fulfilment.booking.trigger.mixin"
    _description = "Marks products for booking when records change"
    # Fields whose change can move what the booking gives.
    _booking_inputs = frozenset()
    # Whether the booking keeps something of these records in memory between
    # transactions (an ormcache): marking them clears it, in every worker.
    _booking_cached = False

    def _booking_products(self):
        """The products whose booking these records feed."""
        return self.product_id

    def _booking_mark_kinds(self, vals=None, created=False):
        """{kind: records}: why these records mark their products (the kinds of
        ``sale.fulfilment.rebook``), on create (``created``), on delete
        (``vals`` None) or on a write of ``vals``. Anything may move a status
        unless a model says otherwise."""
        return {OTHER: self}

    def _booking_marks(self, vals=None, created=False):
        """[(kind, products)] of these records, as they are now."""
        return [
            (kind, records._booking_products())
            for kind, records in self._booking_mark_kinds(vals, created).items()
            if records
        ]

    def _mark_for_booking(self, marks=None):
        marks = self._booking_marks() if marks is None else marks
        if marks and self._booking_cached:
            self.env.registry.clear_cache()
        rebook = self.env["sale.fulfilment.rebook"]
        for kind, products in marks:
            rebook._mark_products(products.ids, kind)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records._mark_for_booking(records._booking_marks(created=True))
        return records

    def write(self, vals):
        if not self._booking_inputs.intersection(vals):
            return super().write(vals)
        before = self._booking_marks(vals)
        res = super().write(vals)
        try:
            after = self._booking_marks(vals)
        except MissingError:
            # Odoo deleted some of the records during their own write (the
            # moves of an MO's by-product whose product changes). Not asked
            # first: that query ran at every write of a move.
            after = self.exists()._booking_marks(vals)
        self._mark_for_booking(before + after)
        return res

    def unlink(self):
        self._mark_for_booking()
        return super().unlink()
