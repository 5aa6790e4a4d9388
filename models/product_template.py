from odoo import fields, models

from ..vocabulary import DEFAULT_TRIGGERS, FULFILMENT_MODES


class ProductTemplate(models.Model):
    """Whether a product is tracked in stock, and its unit, decide whether and
    how its lines book: changing them books its variants again."""

    _name = "product.template"
    _inherit = ["product.template", "fulfilment.booking.trigger.mixin"]
    _booking_inputs = frozenset({"type", "is_storable", "uom_id"})

    fulfilment_default_mode = fields.Selection(
        FULFILMENT_MODES,
        string="Default fulfilment",
        help="Applied by itself to the sales lines of this product that come out Not "
        "available after booking (after higher-ranked orders, stock and expected supply): "
        "at the order's confirmation, and later as set in 'Apply later'. Empty: a planner "
        "chooses in the Fulfil wizard.",
    )
    fulfilment_default_trigger = fields.Selection(
        DEFAULT_TRIGGERS,
        string="Apply later",
        default="scheduled",
        help="For a line that becomes Not available after its order was confirmed (an "
        "order dragged above it, stock counted down): by the scheduled action (every 15 "
        "minutes), or at once, right after the save that made it Not available.",
    )
    fulfilment_batch_size = fields.Float(
        string="Batch size",
        digits="Product Unit of Measure",
        help="Make in batch: suggested quantities are rounded up to a multiple of this, "
        "in the product's unit. Zero: no rounding beyond the bill of materials' quantity "
        "and the reordering rule's multiple.",
    )

    def write(self, vals):
        res = super().write(vals)
        if {"fulfilment_default_mode", "fulfilment_default_trigger"}.intersection(vals):
            # The products a booking looks at (``_at_once_products``), in every worker.
            self.env.registry.clear_cache()
            if vals.get("fulfilment_default_mode"):
                # Lines already Not available get the new default soon.
                self.env["sale.fulfilment.defaults"]._trigger()
        return res

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
