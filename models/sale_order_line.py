from odoo import api, fields, models

AVAILABILITY_STATUSES = [
    ("in_stock", "In stock"),
    ("expected", "Expected"),
    ("not_available", "Not available"),
    ("delivered", "Delivered"),
    ("not_applicable", "Not applicable"),
]
BOOKING_HELP = (
    "Open lines book, in the order of their sales order's rank, on-hand stock of the "
    "order's warehouse first, then expected supply (confirmed receipts and manufacturing "
    "orders) in date order. In stock: all of it from stock. Expected: some of it from "
    "expected supply. Not available: some of it could not be booked."
)
# Fields of a line whose change can move what it books.
BOOKING_INPUTS = {"product_id", "product_uom_qty", "product_uom", "display_type", "order_id"}


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    availability_status = fields.Selection(
        AVAILABILITY_STATUSES,
        string="Availability",
        default="not_applicable",
        readonly=True,
        copy=False,
        index=True,
        help=BOOKING_HELP,
    )
    availability_date = fields.Date(
        string="Available on",
        readonly=True,
        copy=False,
        help="For an Expected line, the date of the latest supply it booked: the day the "
        "whole open quantity is expected to be in stock.",
    )
    missing_qty = fields.Float(
        string="Missing",
        digits="Product Unit of Measure",
        readonly=True,
        copy=False,
        help="Open quantity, in the product's unit, that neither stock nor expected supply "
        "could cover for this line, given the lines ranked before it.",
    )
    availability_details = fields.Json(readonly=True, copy=False)
    availability_explanation = fields.Text(
        string="Why",
        compute="_compute_availability_explanation",
        help="What this line booked: from stock, from which expected documents, and what is "
        "missing.",
    )

    @api.depends("availability_details", "availability_status")
    def _compute_availability_explanation(self):
        for line in self:
            line.availability_explanation = line._explain_availability()

    def _explain_availability(self):
        details = self.availability_details or {}
        unit = self.product_id.uom_id.name or ""

        def qty(value):
            return f"{value:g} {unit}".strip()

        if self.availability_status == "delivered":
            return self.env._("Everything has been delivered.")
        if self.availability_status == "not_applicable" or not details:
            return self.env._("Nothing to book: not a storable product of a confirmed order.")
        parts = []
        if details.get("mto"):
            mto = details["mto"]
            if self.availability_status == "in_stock":
                return self.env._(
                    "Made to order by %(mo)s, done: waiting for delivery.", mo=mto["document"]
                )
            return self.env._(
                "Made to order by %(mo)s, planned to finish on %(date)s.",
                mo=mto["document"],
                date=mto.get("date") or self.env._("an unknown date"),
            )
        if details.get("stock"):
            parts.append(self.env._("%(qty)s from stock", qty=qty(details["stock"])))
        for supply in details.get("supplies", ()):
            parts.append(
                self.env._(
                    "%(qty)s from %(document)s expected on %(date)s",
                    qty=qty(supply["qty"]),
                    document=supply["document"],
                    date=supply.get("date") or self.env._("an unknown date"),
                )
            )
        if details.get("missing"):
            parts.append(self.env._("%(qty)s missing", qty=qty(details["missing"])))
        return "; ".join(parts)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        self.env["sale.fulfilment.booking"]._mark_products(lines.product_id.ids)
        return lines

    def write(self, vals):
        touched = BOOKING_INPUTS & set(vals)
        before = self.product_id.ids if touched else []
        res = super().write(vals)
        if touched:
            self.env["sale.fulfilment.booking"]._mark_products(before + self.product_id.ids)
        return res

    def unlink(self):
        self.env["sale.fulfilment.booking"]._mark_products(self.product_id.ids)
        return super().unlink()
