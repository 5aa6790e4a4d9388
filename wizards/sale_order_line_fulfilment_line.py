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

    promise_date_make = fields.Date(
        string="Ready if made",
        compute="_compute_promise_dates",
        help="The day the line would be available if made (to order or in a batch) now: "
        "its components' availability, then the bill of materials' manufacturing lead "
        "time and the company's security lead time.",
    )
    promise_date_buy = fields.Date(
        string="Ready if bought",
        compute="_compute_promise_dates",
        help="The day the line would be available if bought now from the proposed vendor: "
        "the vendor's delay, the company's purchase lead time and days to purchase.",
    )
    promise_date_outsource = fields.Date(
        string="Ready if outsourced",
        compute="_compute_promise_dates",
        help="The day the line would be available if outsourced now: once the components "
        "are available to send, the subcontractor's delay.",
    )
    promise_best = fields.Selection(
        [("make", "Make"), ("buy", "Buy"), ("outsource", "Outsource")],
        string="Earliest",
        compute="_compute_promise_dates",
    )

    @api.depends("sale_line_id")
    def _compute_promise_dates(self):
        dates = self.env["sale.fulfilment.promise"]._promise_dates(self.sale_line_id)
        for row in self:
            found = dates.get(row.sale_line_id.id) or {}
            row.promise_date_make = found.get("make")
            row.promise_date_buy = found.get("buy")
            row.promise_date_outsource = found.get("outsource")
            known = [(day, option) for option, day in found.items() if day]
            row.promise_best = min(known)[1] if known else False

    @api.depends("sale_line_id")
    def _compute_line_figures(self):
        for row in self:
            line = row.sale_line_id
            row.open_qty = line._fulfilment_open_qty() if line else 0.0
            row.calculated_stock_qty = line.product_id.with_context(
                warehouse_id=line._fulfilment_warehouse().id if line else False
            ).calculated_stock_qty

    def _suggest_quantities(self, mode):
        """What the lines' ``_fulfilment_suggested_quantities`` suggests for ``mode``."""
        suggested = self.sale_line_id._fulfilment_suggested_quantities(
            mode, partners={row.sale_line_id.id: row.partner_id for row in self}
        )
        for row in self:
            row.quantity = suggested[row.sale_line_id.id]
