from odoo import Command, api, models

from ..vocabulary import PROCUREMENT_NO_PRICELIST, PROCUREMENT_OUTSOURCED, PROCUREMENT_SALE_LINES


class StockRule(models.Model):
    """Odoo's buy rule, taught what the Buy and Outsource options carry in the
    procurement values: the sales lines to link and the outsourced mark."""

    _inherit = "stock.rule"

    def _make_po_get_domain(self, company_id, values, partner):
        domain = super()._make_po_get_domain(company_id, values, partner)
        # An outsourced PO and a plain one are never merged, whoever buys.
        return (*domain, ("is_outsourced", "=", bool(values.get(PROCUREMENT_OUTSOURCED))))

    def _prepare_purchase_order(self, company_id, origins, values):
        vals = super()._prepare_purchase_order(company_id, origins, values)
        vals["is_outsourced"] = bool(values[0].get(PROCUREMENT_OUTSOURCED))
        return vals

    @api.model
    def _merge_procurements(self, procurements_to_merge):
        merged = super()._merge_procurements(procurements_to_merge)
        # Odoo keeps one procurement's values per merged group: the merged line
        # serves the sales lines of all of them.
        for procurements, procurement in zip(procurements_to_merge, merged, strict=True):
            sale_lines = self.env["sale.order.line"]
            for one in procurements:
                sale_lines |= one.values.get(PROCUREMENT_SALE_LINES, sale_lines)
            if sale_lines:
                procurement.values[PROCUREMENT_SALE_LINES] = sale_lines
            if any(one.values.get(PROCUREMENT_NO_PRICELIST) for one in procurements):
                procurement.values[PROCUREMENT_NO_PRICELIST] = True
        return merged

    def _update_purchase_order_line(
        self, product_id, product_qty, product_uom, company_id, values, line
    ):
        vals = super()._update_purchase_order_line(
            product_id, product_qty, product_uom, company_id, values, line
        )
        sale_lines = values.get(PROCUREMENT_SALE_LINES)
        if sale_lines:
            vals["fulfilment_sale_line_ids"] = [
                Command.link(sale_line.id) for sale_line in sale_lines
            ]
        if values.get(PROCUREMENT_NO_PRICELIST):
            # Odoo would set 0 for want of a vendor price: keep the line's own.
            vals.pop("price_unit", None)
        return vals
