from odoo import models

from .sale_fulfilment_rebook import OTHER


class MrpBomLine(models.Model):
    """A component of a kit: adding, changing or removing one books the kit's
    products and the component."""

    _name = "mrp.bom.line"
    _inherit = ["mrp.bom.line", "fulfilment.booking.trigger.mixin"]
    # sale.fulfilment.booking._kit_bom_products keeps the kits' components.
    _booking_cached = True
    _booking_inputs = frozenset({"product_id", "product_qty", "product_uom_id", "bom_id"})

    def _booking_mark_kinds(self, vals=None, created=False):
        kits = self.filtered(lambda line: line.bom_id.type == "phantom")
        return {OTHER: kits}

    def _booking_products(self):
        return self.product_id | self.bom_id._booking_products()
