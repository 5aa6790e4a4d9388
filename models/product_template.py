from odoo import models


class ProductTemplate(models.Model):
    """Whether a product is tracked in stock, and its unit, decide whether and
    how its lines book: changing them books its variants again."""

    _name = "product.template"
    _inherit = ["product.template", "fulfilment.booking.trigger.mixin"]
    _booking_inputs = frozenset({"type", "is_storable", "uom_id"})

    def _booking_mark_kinds(self, vals=None, created=False):
        # A new template has no lines yet; a deleted one takes its lines' rows
        # with it (foreign keys).
        if created or vals is None:
            return {}
        return super()._booking_mark_kinds(vals, created)

    def _booking_products(self):
        # sudo: variants of other companies and archived ones are booked too;
        # only their ids are used.
        return self.sudo().with_context(active_test=False).product_variant_ids
