from odoo import api, fields, models

from .sale_fulfilment_stock import FIGURES


class ProductProduct(models.Model):
    _inherit = "product.product"

    in_stock_qty = fields.Float(
        string="In stock",
        compute="_compute_fulfilment_figures",
        digits="Product Unit of Measure",
        help="On hand. Narrowed to one warehouse by `warehouse_id` in the context, "
        "company-wide otherwise.",
    )
    expected_qty = fields.Float(
        string="Expected",
        compute="_compute_fulfilment_figures",
        digits="Product Unit of Measure",
        help="Confirmed supply not yet received (purchase and outsourcing receipts, "
        "manufacturing output, other incoming transfers).",
    )
    committed_qty = fields.Float(
        string="Committed",
        compute="_compute_fulfilment_figures",
        digits="Product Unit of Measure",
        help="Open quantity of confirmed sales lines plus unconsumed components of "
        "confirmed manufacturing orders.",
    )
    safety_stock_qty = fields.Float(
        string="Safety stock",
        compute="_compute_fulfilment_figures",
        digits="Product Unit of Measure",
        help="Minimum quantity of the active reordering rules.",
    )
    calculated_stock_qty = fields.Float(
        string="Calculated stock",
        compute="_compute_fulfilment_figures",
        digits="Product Unit of Measure",
        help="In stock + Expected - Committed - Safety stock.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        products = super().create(vals_list)
        if any(p.fulfilment_default_trigger == "at_once" for p in products):
            # A new variant of a product whose default applies at once.
            self.env.registry.clear_cache()
        return products

    @api.model
    def _fulfilment_figure_fields(self):
        return [*FIGURES, "calculated_stock_qty"]

    @api.depends_context("warehouse_id", "allowed_company_ids")
    def _compute_fulfilment_figures(self):
        domain = [("product_id", "in", self.ids)]
        warehouse = self.env.context.get("warehouse_id")
        if warehouse:
            ids = warehouse if isinstance(warehouse, list) else [warehouse]
            name_domain = [("name", "in", [w for w in ids if isinstance(w, str)])]
            id_domain = [("id", "in", [w for w in ids if isinstance(w, int)])]
            # Searched with the user's rights: a warehouse named in the context
            # that he may not read (another company's) shows nothing.
            readable = self.env["stock.warehouse"].search(
                ["|", *name_domain, *id_domain, ("company_id", "in", self.env.companies.ids)]
            )
            domain.append(("warehouse_id", "in", readable.ids))
        else:
            domain.append(("company_id", "in", self.env.companies.ids))
        groups = (
            self.env["sale.fulfilment.stock"]
            .sudo()
            ._read_group(domain, ["product_id"], [f"{name}:sum" for name in FIGURES])
        )
        totals = {product.id: values for product, *values in groups}
        for product in self:
            values = totals.get(product.id, [0.0] * len(FIGURES))
            for name, value in zip(FIGURES, values):
                product[name] = value
            in_stock, expected, committed, safety = values
            product.calculated_stock_qty = in_stock + expected - committed - safety
