import json
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..pg_array import pg_array

FIGURES = ("in_stock_qty", "expected_qty", "committed_qty", "safety_stock_qty")


class SaleFulfilmentStock(models.Model):
    """Stock figures per product and warehouse, as Katana's Stock screen shows.

    Rows are written by the booking (``sale.fulfilment.booking``) in bulk, so
    the list can be sorted, filtered and grouped like any stored data.
    """

    _name = "sale.fulfilment.stock"
    _description = "Stock figures"
    _order = "calculated_stock_qty, product_id, warehouse_id"
    _rec_name = "product_id"

    # Derived rows: they go with their product or warehouse, never keep it.
    product_id = fields.Many2one(
        "product.product", required=True, index=True, readonly=True, ondelete="cascade"
    )
    product_tmpl_id = fields.Many2one(related="product_id.product_tmpl_id", string="Template")
    categ_id = fields.Many2one("product.category", string="Category", index=True, readonly=True)
    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True, index=True, readonly=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    in_stock_qty = fields.Float(
        string="In stock",
        digits="Product Unit of Measure",
        readonly=True,
        help="On hand in the warehouse's internal locations.",
    )
    expected_qty = fields.Float(
        string="Expected",
        digits="Product Unit of Measure",
        readonly=True,
        help="Confirmed supply not yet received: receipts of confirmed purchase and "
        "outsourcing orders, output of confirmed manufacturing orders, other incoming "
        "transfers. Requests for quotation and draft manufacturing orders do not count.",
    )
    committed_qty = fields.Float(
        string="Committed",
        digits="Product Unit of Measure",
        readonly=True,
        help="Open quantity of confirmed sales lines plus components not yet consumed by "
        "confirmed manufacturing orders.",
    )
    safety_stock_qty = fields.Float(
        string="Safety stock",
        digits="Product Unit of Measure",
        readonly=True,
        help="Minimum quantity of the warehouse's active reordering rules.",
    )
    calculated_stock_qty = fields.Float(
        string="Calculated stock",
        digits="Product Unit of Measure",
        readonly=True,
        index=True,
        help="In stock + Expected - Committed - Safety stock. Below zero, that much is "
        "missing to serve every open order.",
    )
    missing_qty = fields.Float(
        string="Missing",
        digits="Product Unit of Measure",
        readonly=True,
        help="What Calculated stock lacks to reach zero: the quantity to make or buy.",
    )

    committed_line_ids = fields.Many2many(
        "sale.order.line",
        string="Committed to sales",
        compute="_compute_commitments",
        help="Open sales lines of the product in this warehouse, in Sales priority order.",
    )
    committed_move_ids = fields.Many2many(
        "stock.move",
        string="Committed to manufacturing",
        compute="_compute_commitments",
        help="Components not yet consumed by confirmed manufacturing orders.",
    )
    expected_move_ids = fields.Many2many(
        "stock.move",
        string="Expected supply",
        compute="_compute_commitments",
        help="Confirmed incoming receipts and manufacturing output, by date.",
    )
    can_outsource = fields.Boolean(
        compute="_compute_can_outsource",
        help="The product has a subcontracting bill of materials.",
    )

    # What the last booking left of the product's pool in the warehouse
    # (``pool_state``): orders confirmed at the bottom of the ranks book from
    # it. Internal to the booking, never shown, never read by the ORM.
    pool_state = fields.Json(
        string="Left after booking", readonly=True, prefetch=False, groups="base.group_no_one"
    )

    _sql_constraints = [
        (
            "product_warehouse_uniq",
            "UNIQUE(product_id, warehouse_id)",
            "One row of stock figures per product and warehouse.",
        )
    ]

    def _compute_commitments(self):
        Line = self.env["sale.order.line"]
        Move = self.env["stock.move"]
        lines = Line.search(
            [
                ("product_id", "in", self.product_id.ids),
                ("availability_status", "in", ("in_stock", "expected", "not_available")),
            ]
        ).sorted(
            lambda line: (
                line.order_id.fulfilment_priority,
                line.order_id.date_order,
                line.order_id.id,
                line.sequence,
                line.id,
            )
        )
        open_states = ("confirmed", "waiting", "partially_available", "assigned")
        components = Move.search(
            [
                ("product_id", "in", self.product_id.ids),
                ("raw_material_production_id.state", "in", ("confirmed", "progress", "to_close")),
                ("state", "in", open_states),
            ],
            order="id",
        ).sorted(lambda move: (move.raw_material_production_id.schedule_priority, move.id))
        incoming = Move.search(
            [
                ("product_id", "in", self.product_id.ids),
                ("state", "in", open_states),
                ("location_dest_id.usage", "=", "internal"),
            ],
            order="date, id",
        ).filtered(
            # From outside the warehouse: not a move between its own locations.
            lambda move: (
                move.location_id.usage != "internal"
                or move.location_id.warehouse_id != move.location_dest_id.warehouse_id
            )
        )
        for row in self:
            row.committed_line_ids = lines.filtered(
                lambda line, row=row: (
                    line.product_id == row.product_id
                    and line._fulfilment_warehouse() == row.warehouse_id
                )
            )
            row.committed_move_ids = components.filtered(
                lambda move, row=row: (
                    move.product_id == row.product_id
                    and move.location_id.warehouse_id == row.warehouse_id
                )
            )
            row.expected_move_ids = incoming.filtered(
                lambda move, row=row: (
                    move.product_id == row.product_id
                    and move.location_dest_id.warehouse_id == row.warehouse_id
                )
            )

    def _compute_can_outsource(self):
        # sudo: whether a subcontracting BoM exists, to show a button; users
        # of the Stock list may not read bills of materials.
        boms = (
            self.env["mrp.bom"]
            .sudo()
            .search(
                [
                    ("type", "=", "subcontract"),
                    ("product_tmpl_id", "in", self.product_tmpl_id.ids),
                ]
            )
        )
        templates = set(boms.product_tmpl_id.ids)
        for row in self:
            row.can_outsource = row.product_tmpl_id.id in templates

    def action_fulfil_make(self):
        """Make what the rows miss: the wizard on their Not available lines."""
        return self._action_fulfil("make_in_batch")

    def action_fulfil_buy(self):
        return self._action_fulfil("buy")

    def action_fulfil_outsource(self):
        return self._action_fulfil("outsource")

    def _action_fulfil(self, mode):
        # The wizard refuses each line per mode too; this says it before
        # the wizard opens, whatever calls it (a button, the Action menu, RPC).
        if mode in ("make_to_order", "make_in_batch"):
            if not self.env.user.has_group("mrp.group_mrp_user"):
                raise AccessError(self.env._("Making needs the Manufacturing / User right."))
        elif not self.env.user.has_group("purchase.group_purchase_user"):
            raise AccessError(self.env._("Buying needs the Purchase / User right."))
        lines = self.committed_line_ids.filtered(
            lambda line: line.availability_status == "not_available"
        )
        if not lines:
            raise UserError(
                self.env._(
                    "No sales line of %(products)s is Not available: what is missing is "
                    "for safety stock or manufacturing components. Use Inventory > "
                    "Operations > Replenishment for those.",
                    products=", ".join(self.product_id.mapped("display_name")),
                )
            )
        return self.env["sale.order.line.fulfilment"]._action_open(lines, mode)

    @api.model
    def _append_figures(self, changes):
        """Write what orders appended at the bottom of the ranks and deliveries
        leave committed, on hand, and the state they leave each pool in:
        {(product, warehouse): (Committed, In stock, pool_state data)}.
        Expected and safety stock are unchanged: the booking checked that the
        pools were built from the same supplies."""
        if not changes:
            return
        keys = sorted(changes)
        self.env.cr.execute(
            SQL(
                """
                UPDATE sale_fulfilment_stock s
                   SET committed_qty = v.committed,
                       in_stock_qty = v.in_stock,
                       calculated_stock_qty = v.in_stock + s.expected_qty - v.committed
                                              - s.safety_stock_qty,
                       missing_qty = GREATEST(0, v.committed + s.safety_stock_qty
                                                 - v.in_stock - s.expected_qty),
                       pool_state = v.state::jsonb,
                       write_uid = %s, write_date = now() at time zone 'UTC'
                  FROM unnest(%s::int[], %s::int[], %s::float8[], %s::float8[], %s::text[])
                       AS v(product_id, warehouse_id, committed, in_stock, state)
                 WHERE s.product_id = v.product_id AND s.warehouse_id = v.warehouse_id
                """,
                self.env.uid,
                pg_array(key[0] for key in keys),
                pg_array(key[1] for key in keys),
                pg_array(changes[key][0] for key in keys),
                pg_array(changes[key][1] for key in keys),
                pg_array(self._state_text(changes[key][2]) for key in keys),
            )
        )
        self.invalidate_model()
        self.env["product.product"].invalidate_model([*FIGURES, "calculated_stock_qty"])

    @staticmethod
    def _state_text(state):
        return None if state is None else json.dumps(state)

    @api.model
    def _replace_figures(self, product_ids, in_stock, expected, committed, states=None):
        """Bring the rows of ``product_ids`` (all if None) up to date, writing only
        the rows that changed, in at most five statements. ``states``: what the
        booking left of each pool ({(product, warehouse): pool_state data});
        a row without one keeps none."""
        cr = self.env.cr
        states = states or {}
        only = SQL("TRUE")
        if product_ids is not None:
            only = SQL("product_id = ANY(%s::int[])", pg_array(product_ids))
        cr.execute(
            SQL(
                """
                SELECT product_id, warehouse_id, SUM(product_min_qty)
                  FROM stock_warehouse_orderpoint
                 WHERE active AND %s
                 GROUP BY product_id, warehouse_id
                """,
                only,
            )
        )
        safety = {(pid, wid): qty for pid, wid, qty in cr.fetchall()}
        figures = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
        for column, values in enumerate((in_stock, expected, committed, safety)):
            for key, qty in values.items():
                if key[1] and qty:
                    figures[key][column] += qty
        # Most rows do not change from one booking to the next: write only those.
        cr.execute(
            SQL(
                """
                SELECT id, product_id, warehouse_id,
                       in_stock_qty, expected_qty, committed_qty, safety_stock_qty,
                       pool_state
                  FROM sale_fulfilment_stock WHERE %s
                """,
                only,
            )
        )
        stale, changed = [], []
        for row_id, pid, wid, *old, old_state in cr.fetchall():
            new = figures.pop((pid, wid), None)
            if new is None:
                stale.append(row_id)
            elif old_state != states.get((pid, wid)) or any(
                abs(a - b) > 1e-9 for a, b in zip(old, new)
            ):
                changed.append((row_id, *new, self._state_text(states.get((pid, wid)))))
        if stale:
            cr.execute(
                SQL("DELETE FROM sale_fulfilment_stock WHERE id = ANY(%s::int[])", pg_array(stale))
            )
        if changed:
            cr.execute(
                SQL(
                    """
                    UPDATE sale_fulfilment_stock s
                       SET in_stock_qty = v.in_stock, expected_qty = v.expected,
                           committed_qty = v.committed, safety_stock_qty = v.safety,
                           calculated_stock_qty = v.in_stock + v.expected - v.committed - v.safety,
                           missing_qty = GREATEST(
                               0, v.committed + v.safety - v.in_stock - v.expected),
                           pool_state = v.state::jsonb,
                           write_uid = %s, write_date = now() at time zone 'UTC'
                      FROM unnest(%s::int[], %s::float8[], %s::float8[], %s::float8[],
                                  %s::float8[], %s::text[])
                           AS v(id, in_stock, expected, committed, safety, state)
                     WHERE s.id = v.id
                    """,
                    self.env.uid,
                    *(pg_array(c[i] for c in changed) for i in range(6)),
                )
            )
        if figures:
            keys = list(figures)
            cr.execute(
                SQL(
                    """
                    INSERT INTO sale_fulfilment_stock (
                        product_id, warehouse_id, company_id, categ_id,
                        in_stock_qty, expected_qty, committed_qty, safety_stock_qty,
                        calculated_stock_qty, missing_qty, pool_state,
                        create_uid, write_uid, create_date, write_date)
                    SELECT v.product_id, v.warehouse_id, w.company_id, pt.categ_id,
                           v.in_stock, v.expected, v.committed, v.safety,
                           v.in_stock + v.expected - v.committed - v.safety,
                           GREATEST(0, v.committed + v.safety - v.in_stock - v.expected),
                           v.state::jsonb,
                           %(uid)s, %(uid)s, now() at time zone 'UTC', now() at time zone 'UTC'
                      FROM unnest(%(pids)s::int[], %(wids)s::int[], %(in_stock)s::float8[],
                                  %(expected)s::float8[], %(committed)s::float8[],
                                  %(safety)s::float8[], %(states)s::text[])
                           AS v(product_id, warehouse_id, in_stock, expected, committed, safety,
                                state)
                      JOIN stock_warehouse w ON w.id = v.warehouse_id
                      JOIN product_product pp ON pp.id = v.product_id
                      JOIN product_template pt ON pt.id = pp.product_tmpl_id
                    """,
                    uid=self.env.uid,
                    pids=pg_array(k[0] for k in keys),
                    wids=pg_array(k[1] for k in keys),
                    in_stock=pg_array(figures[k][0] for k in keys),
                    expected=pg_array(figures[k][1] for k in keys),
                    committed=pg_array(figures[k][2] for k in keys),
                    safety=pg_array(figures[k][3] for k in keys),
                    states=pg_array(self._state_text(states.get(k)) for k in keys),
                )
            )
        self.invalidate_model()
        self.env["product.product"].invalidate_model([*FIGURES, "calculated_stock_qty"])
