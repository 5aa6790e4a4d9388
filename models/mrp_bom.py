from odoo import models

from .sale_fulfilment_rebook import OTHER


class MrpBom(models.Model):
    """A kit bill of materials decides how its product's lines are booked:
    making, changing or archiving one books its products and components."""

    _name = "mrp.bom"
    _inherit = ["mrp.bom", "fulfilment.booking.trigger.mixin"]
    # sale.fulfilment.booking._kit_bom_products keeps the kits.
    _booking_cached = True
    _booking_inputs = frozenset(
        {"type", "active", "product_id", "product_tmpl_id", "product_qty", "product_uom_id"}
    )

    def _booking_mark_kinds(self, vals=None, created=False):
        kits = self.filtered(lambda bom: bom.type == "phantom")
        return {OTHER: kits}

    def _booking_products(self):
        # sudo: variants of other companies are booked too; only ids are used.
        boms = self.sudo().with_context(active_test=False)
        return (
            boms.product_id
            | boms.filtered(lambda bom: not bom.product_id).product_tmpl_id.product_variant_ids
            | boms.bom_line_ids.product_id
        )
