from collections import defaultdict

from odoo import api, fields, models


class SaleOrderLineFulfilmentLine(models.TransientModel):
    _name = "sale.order.line.fulfilment.line"
    _description = "Sales line to fulfil"

    wizard_id = fields.Many2one("sale.order.line.fulfilment", required=True, ondelete="cascade")
    sale_line_id = fields.Many2one(
        "sale.order.line", string="Sales line", required=True, readonly=True
    )
    order_id = fields.Many2one(related="sale_line_id.order_id", string="Order")
    product_id = fields.Many2one(related="sale_line_id.product_id", string="Product")
    uom_id = fields.Many2one(related="sale_line_id.product_id.uom_id", string="Unit")
    open_qty = fields.Float(
        string="Open", compute="_compute_line_figures", digits="Product Unit of Measure"
    )
    missing_qty = fields.Float(
        string="Missing", related="sale_line_id.missing_qty", digits="Product Unit of Measure"
    )
    calculated_stock_qty = fields.Float(
        string="Calculated stock",
        compute="_compute_line_figures",
        digits="Product Unit of Measure",
        help="The product's Calculated stock in the order's warehouse: In stock + Expected "
        "- Committed - Safety stock.",
    )
    quantity = fields.Float(
        digits="Product Unit of Measure",
        help="Quantity to make or buy, in the product's unit. Make to order takes the open "
        "quantity; the others suggest what is missing and can be changed.",
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Vendor",
        help="Buy: the vendor, proposed as Odoo's procurement would pick it from the "
        "product's vendor list for the quantity; any vendor may be chosen. Outsource: the "
        "subcontractor of the subcontracting bill of materials.",
    )

    @api.depends("sale_line_id")
    def _compute_line_figures(self):
        for row in self:
            line = row.sale_line_id
            row.open_qty = line._fulfilment_open_qty() if line else 0.0
            row.calculated_stock_qty = line.product_id.with_context(
                warehouse_id=line._fulfilment_warehouse().id if line else False
            ).calculated_stock_qty

    def _suggest_quantities(self, mode):
        """Make to order: the open quantity. Otherwise what the product misses.

        Each line is suggested its own missing quantity (its open quantity when it
        misses nothing); the first line of a product also gets what the product
        misses beyond that (other open lines, safety stock), so the MO or PO for
        the product covers the product's Missing quantity.
        """
        groups = defaultdict(lambda: self.browse())
        for row in self:
            groups[(row.product_id, row.sale_line_id._fulfilment_warehouse())] |= row
        for (product, warehouse), rows in groups.items():
            for row in rows:
                row.quantity = row.missing_qty or row.open_qty
            if mode == "make_to_order":
                for row in rows:
                    row.quantity = row.open_qty
                continue
            product_missing = -product.with_context(warehouse_id=warehouse.id).calculated_stock_qty
            extra = product_missing - sum(rows.mapped("quantity"))
            if extra > 0:
                rows[0].quantity += extra
            if mode in ("buy", "outsource"):
                for row in rows:
                    # quantity=None: a price line whose minimum is above the suggestion
                    # is exactly the one to respect, not one to filter out.
                    sellers = product._get_filtered_sellers(
                        partner_id=row.partner_id, quantity=None, uom_id=product.uom_id
                    )
                    minimum = min(
                        (
                            seller.product_uom._compute_quantity(seller.min_qty, product.uom_id)
                            for seller in sellers
                        ),
                        default=0.0,
                    )
                    if minimum > row.quantity:
                        row.quantity = minimum
