from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import float_compare

from .fulfilment_booked_mixin import booked_search

ASSIGNING = "sale_fulfilment_assigning"
COMPONENT_STATUSES = [
    ("in_stock", "In stock"),
    ("expected", "Expected"),
    ("not_available", "Not available"),
]

BOOKING_INPUTS = {
    "state",
    "product_id",
    "product_uom_qty",
    "product_qty",
    "product_uom",
    "date",
    "location_id",
    "location_dest_id",
    "quantity",
    "sale_line_id",
    "production_id",
    "raw_material_production_id",
    "purchase_line_id",
}


class StockMove(models.Model):
    _name = "stock.move"
    _inherit = ["stock.move", "fulfilment.booked.mixin"]
    _booked_model = "sale.fulfilment.move.availability"
    _booked_fields = {
        "fulfilment_status": ("status", None),
        "fulfilment_date": ("date", None),
        "fulfilment_missing_qty": ("missing_qty", 0.0),
    }

    # Kept beside the move (fulfilment.booked.mixin), yet searchable, sortable
    # and groupable like stored fields.
    fulfilment_status = fields.Selection(
        COMPONENT_STATUSES,
        string="Booked",
        compute="_compute_booked_fields",
        search="_search_fulfilment_status",
        help="For a component of a manufacturing order: what it booked, after the sales "
        "lines and the manufacturing orders ranked before it.",
    )
    fulfilment_date = fields.Date(
        string="Booked supply on",
        compute="_compute_booked_fields",
        search="_search_fulfilment_date",
    )
    fulfilment_missing_qty = fields.Float(
        string="Missing",
        digits="Product Unit of Measure",
        compute="_compute_booked_fields",
        search="_search_fulfilment_missing_qty",
    )

    _search_fulfilment_status = booked_search("fulfilment_status")
    _search_fulfilment_date = booked_search("fulfilment_date")
    _search_fulfilment_missing_qty = booked_search("fulfilment_missing_qty")

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        self.env["sale.fulfilment.booking"]._mark_products(moves.product_id.ids)
        return moves

    def write(self, vals):
        touched = BOOKING_INPUTS & set(vals)
        before = self.product_id.ids if "product_id" in vals else []
        res = super().write(vals)
        if touched:
            self.env["sale.fulfilment.booking"]._mark_products(before + self.product_id.ids)
        return res

    def unlink(self):
        self.env["sale.fulfilment.booking"]._mark_products(self.product_id.ids)
        return super().unlink()

    # ------------------------------------------------------------------
    # Reservation in rank order
    # ------------------------------------------------------------------
    def _fulfilment_reservation_key(self):
        """Odoo's star first, then sales lines by rank, then MO components by
        schedule rank (sales book before components), then everything else."""
        self.ensure_one()
        if self.sale_line_id and not self.move_orig_ids:
            group, rank = 0, self.sale_line_id.order_id.fulfilment_priority
        elif self.raw_material_production_id:
            group, rank = 1, self.raw_material_production_id.schedule_priority
        else:
            group, rank = 2, 0
        return (-int(self.priority or 0), group, rank, self.date, self.id)

    def _fulfilment_ranked(self):
        return self.filtered(
            lambda m: (m.sale_line_id and not m.move_orig_ids) or m.raw_material_production_id
        )

    def _action_assign(self, force_qty=False):
        if self.env.context.get(ASSIGNING):
            return super()._action_assign(force_qty=force_qty)
        moves = self.sorted(lambda m: m._fulfilment_reservation_key())
        res = super(StockMove, moves.with_context(**{ASSIGNING: True}))._action_assign(
            force_qty=force_qty
        )
        if not force_qty:
            again = moves._fulfilment_release_lower_ranked()
            if again:
                super(StockMove, again.with_context(**{ASSIGNING: True}))._action_assign()
        return res

    def _fulfilment_release_lower_ranked(self):
        """Unreserve lower-ranked moves holding stock that short higher-ranked
        moves of ``self`` need; return the moves to reserve again, in rank order.

        Picked and done quantities are never taken back, nor what a
        make-to-order MO produced for its own delivery.
        """
        short = self._fulfilment_ranked().filtered(
            lambda m: m.state in ("confirmed", "partially_available") and not m.picked
        )
        if not short:
            return self.browse()
        holders = self.search(
            [
                ("product_id", "in", short.product_id.ids),
                ("state", "in", ("assigned", "partially_available")),
                ("picked", "=", False),
                ("id", "not in", short.ids),
                "|",
                "&",
                ("sale_line_id", "!=", False),
                ("move_orig_ids", "=", False),
                ("raw_material_production_id", "!=", False),
            ]
        )
        if not holders:
            return self.browse()
        needed = defaultdict(float)
        best_short = {}
        for move in short:
            key = (move.product_id, move.location_id.warehouse_id)
            needed[key] += move.product_qty - move.quantity
            rank = move._fulfilment_reservation_key()
            best_short[key] = min(best_short.get(key, rank), rank)
        released = self.browse()
        for holder in holders.sorted(lambda m: m._fulfilment_reservation_key(), reverse=True):
            key = (holder.product_id, holder.location_id.warehouse_id)
            rounding = holder.product_id.uom_id.rounding
            if (
                key not in best_short
                or float_compare(needed[key], 0, precision_rounding=rounding) <= 0
            ):
                continue
            if holder._fulfilment_reservation_key() <= best_short[key]:
                continue
            needed[key] -= holder.quantity
            released |= holder
        if not released:
            return self.browse()
        released._do_unreserve()
        return (short | released).sorted(lambda m: m._fulfilment_reservation_key())
