from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.http import request
from odoo.service.model import MAX_TRIES_ON_CONCURRENCY_FAILURE
from odoo.tools import SQL

from ..pg_array import pg_array
from ..vocabulary import (
    AVAILABILITY_STATUSES,
    CONFIRMING_CONTEXT,
    RANK_SYNC_CONTEXT,
    TRUSTED,
    trusted,
)
from .fulfilment_booked_mixin import booked_search
from .sale_fulfilment_rebook import APPENDED, OTHER
from .sale_order_line import BOOKING_HELP, PRODUCTION_STATES

# Set in the precommit data once a try of the request has been counted.
TRY_SEEN_KEY = "sale_fulfilment.try_seen"
# A drag over at most this many rank positions reads the lines of the orders
# in between (``_fulfilment_reordered_spans``), not those of its products.
SPAN_BY_ORDERS = 200


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = [
        "sale.order",
        "fulfilment.rank.mixin",
        "fulfilment.booked.mixin",
        "fulfilment.booking.trigger.mixin",
    ]
    _rank_manager_group = "sales_team.group_sale_manager"
    _rank_field = "fulfilment_priority"
    _booked_model = "sale.fulfilment.order.availability"
    _booked_fields = {
        "availability_status": ("status", "not_applicable"),
        "availability_date": ("date", None),
    }
    # Fields of an order whose change can move what its lines book.
    _booking_inputs = frozenset({"state", "warehouse_id", "company_id", "date_order"})

    fulfilment_priority = fields.Integer(
        string="Rank",
        index=True,
        copy=False,
        default=0,
        help="Sales priority: orders with a lower rank book stock and expected supply "
        "first. Drag orders in the Sales priority list to change it; a newly "
        "confirmed order goes to the bottom.",
    )
    # Kept beside the order (fulfilment.booked.mixin), yet searchable, sortable
    # and groupable like stored fields.
    availability_status = fields.Selection(
        AVAILABILITY_STATUSES,
        string="Availability",
        compute="_compute_booked_fields",
        search="_search_availability_status",
        help="The worst availability among the order's lines. " + BOOKING_HELP,
    )
    availability_date = fields.Date(
        string="Available on",
        compute="_compute_booked_fields",
        search="_search_availability_date",
        help="For an Expected order, the date of the latest supply its lines booked: the day "
        "the whole order is expected to be ready to deliver.",
    )

    fulfilment_position = fields.Integer(
        string="Position",
        compute="_compute_fulfilment_position",
        help="Where the order stands among the open orders of its company (confirmed, with "
        "something left to deliver), most urgent first: what people read, where the rank "
        "has gaps. 0 for an order that is not open.",
    )
    fulfilment_position_label = fields.Char(
        string="Sales priority",
        compute="_compute_fulfilment_position",
        help="The order's place in the Sales priority list, e.g. 4 of 22 open orders.",
    )
    production_state = fields.Selection(
        PRODUCTION_STATES,
        string="Production",
        compute="_compute_production_state",
        help="For an order with lines made to order: the most pressing state of their "
        "manufacturing orders. Blocked: not started and its ingredients are Not "
        "available; then Not started, In progress, Done.",
    )
    # Only what Odoo's own Manufacturing and Purchase buttons do not show.
    fulfilment_production_count = fields.Integer(
        string="Batch MOs", compute="_compute_fulfilment_counts"
    )
    fulfilment_purchase_count = fields.Integer(
        string="Fulfilment POs", compute="_compute_fulfilment_counts"
    )

    _search_availability_status = booked_search("availability_status")
    _search_availability_date = booked_search("availability_date")

    @api.depends("fulfilment_priority", "state", "availability_status")
    def _compute_fulfilment_position(self):
        ids = [oid for oid in self._origin.ids if oid]
        positions = {}
        if ids:
            self.flush_model(["fulfilment_priority", "state", "date_order", "company_id"])
            self.env.cr.execute(
                SQL(
                    """
                    SELECT id, position, total FROM (
                        SELECT so.id, row_number() OVER (
                                   PARTITION BY so.company_id
                                   ORDER BY so.fulfilment_priority, so.date_order, so.id
                               ) AS position,
                               count(*) OVER (PARTITION BY so.company_id) AS total
                          FROM sale_order so
                          JOIN sale_fulfilment_order_availability a ON a.id = so.id
                         WHERE so.state = 'sale'
                           AND a.status IN ('in_stock', 'expected', 'not_available')
                           AND so.company_id IN (
                                SELECT company_id FROM sale_order WHERE id = ANY(%s))
                    ) ranked
                     WHERE id = ANY(%s)
                    """,
                    ids,
                    ids,
                )
            )
            positions = {oid: (pos, total) for oid, pos, total in self.env.cr.fetchall()}
        for order in self:
            position, total = positions.get(order._origin.id, (0, 0))
            order.fulfilment_position = position
            order.fulfilment_position_label = (
                self.env._("%(position)s of %(total)s open orders", position=position, total=total)
                if position
                else False
            )

    @api.depends("order_line.production_state")
    def _compute_production_state(self):
        # One look-up of the MOs for the lines of all orders at once.
        self.order_line.mapped("production_state")
        rank = {state: index for index, (state, _label) in enumerate(PRODUCTION_STATES)}
        for order in self:
            states = [s for s in order.order_line.mapped("production_state") if s]
            order.production_state = min(states, key=rank.get) if states else False

    @api.depends("order_line.fulfilment_production_ids", "order_line.fulfilment_purchase_line_ids")
    def _compute_fulfilment_counts(self):
        for order in self:
            productions, purchases = order._fulfilment_documents_beyond_odoo()
            order.fulfilment_production_count = len(productions)
            order.fulfilment_purchase_count = len(purchases)

    def _fulfilment_documents_beyond_odoo(self):
        """The MOs and POs the fulfilment options made for this order that Odoo's
        own Manufacturing and Purchase buttons do not list (batch MOs, POs of
        Buy and Outsource), so that no document shows under two buttons."""
        self.ensure_one()
        # sudo: Odoo's lists are restricted to Manufacturing and Purchase users;
        # only their ids are compared here, nothing of them is shown.
        order = self.sudo()
        odoo_productions = set(order.mrp_production_ids.ids)
        odoo_purchases = set(order._get_purchase_orders().ids)
        productions = self.order_line.fulfilment_production_ids.filtered(
            lambda production: production.id not in odoo_productions
        )
        purchases = self.order_line.fulfilment_purchase_line_ids.order_id.filtered(
            lambda purchase: purchase.id not in odoo_purchases
        )
        return productions, purchases

    def action_view_fulfilment_productions(self):
        self.ensure_one()
        productions, _purchases = self._fulfilment_documents_beyond_odoo()
        return productions._action_open_fulfilment_documents()

    def action_view_fulfilment_purchases(self):
        self.ensure_one()
        _productions, purchases = self._fulfilment_documents_beyond_odoo()
        return purchases._action_open_fulfilment_documents()

    def init(self):
        res = super().init()
        self._init_rank_sequence()
        return res

    def _append_to_ranks(self):
        res = super()._append_to_ranks()
        self.env["sale.fulfilment.rebook"]._note_appended_orders(self.ids)
        return res

    def _booking_mark_kinds(self, vals=None, created=False):
        appended = self.env["sale.fulfilment.rebook"]._appended_orders()
        mine = self.filtered(lambda order: order.id in appended)
        return {APPENDED: mine, OTHER: self - mine}

    def _booking_products(self):
        # Only confirmed orders book; marking is done before and after a write,
        # so a confirmation or a cancellation marks the products either way.
        orders = self.filtered(lambda o: o.state == "sale")
        return orders.order_line.product_id.filtered("is_storable")

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        # Imported confirmed orders: to the bottom, as a confirmation would.
        orders.filtered(
            lambda o: o.state == "sale" and not o.fulfilment_priority
        )._append_to_ranks()
        return orders

    def action_confirm(self):
        # The rank first: confirming reserves the deliveries, in rank order.
        self.filtered(lambda o: o.state in ("draft", "sent"))._append_to_ranks()
        orders = self
        if self._fulfilment_last_try():
            # Odoo's last try of this request, after four collisions: a
            # reservation that collides again is made after the commit
            # (stock.move) rather than failing the confirmation.
            orders = self.with_context(**{CONFIRMING_CONTEXT: TRUSTED})
        confirming = self.filtered(lambda o: o.state in ("draft", "sent"))
        res = super(SaleOrder, orders).action_confirm()
        self.env["sale.fulfilment.defaults"]._apply_at_confirmation(
            confirming.filtered(lambda o: o.state == "sale")
        )
        return res

    def _fulfilment_last_try(self):
        """Whether Odoo runs this request for the last time: it retries a
        request whose transaction collided with another's, up to
        MAX_TRIES_ON_CONCURRENCY_FAILURE times, then shows the error.

        Counted on the request, once per try: a try's rollback empties the
        precommit data that marks it seen. The first tries stay Odoo's own,
        with their back-off, which costs nothing when nothing collides."""
        if not request:
            return False
        data = self.env.cr.precommit.data
        if not data.get(TRY_SEEN_KEY):
            data[TRY_SEEN_KEY] = True
            request.sale_fulfilment_tries = getattr(request, "sale_fulfilment_tries", 0) + 1
        return request.sale_fulfilment_tries >= MAX_TRIES_ON_CONCURRENCY_FAILURE

    def _action_cancel(self):
        lines = self.order_line
        res = super()._action_cancel()
        lines._release_make_to_order_productions()
        return res

    def action_reserve_in_rank_order(self):
        """Redo Odoo's reservations of these orders' products in rank order.

        Deliveries are reserved by Sales priority, then MO components by Schedule
        rank, Odoo's star first. Picked quantities are left where they are.
        """
        # Reservations are the warehouse's business: the view hides the button
        # from others, the method refuses them whoever calls it.
        if not self.env.user.has_group("stock.group_stock_user"):
            raise AccessError(self.env._("Redoing reservations needs the Inventory / User right."))
        orders = self or self.search([("state", "=", "sale")])
        products = orders.order_line.product_id.filtered("is_storable")
        moves = self.env["stock.move"].search(
            [
                ("product_id", "in", products.ids),
                ("state", "in", ("confirmed", "waiting", "partially_available", "assigned")),
                ("picked", "=", False),
                "|",
                "&",
                ("sale_line_id", "!=", False),
                ("move_orig_ids", "=", False),
                ("raw_material_production_id", "!=", False),
            ]
        )
        moves._do_unreserve()
        moves._action_assign()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Reservations of %(count)s products redone in rank order.",
                    count=len(products),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_rebuild_availability(self):
        """Rebuild every status and figure now, as the scheduled action does."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(self.env._("Only sales administrators can rebuild availability."))
        outcome = self.env["sale.fulfilment.rebook"]._cron_rebuild()
        if outcome == "done":
            kind, message = "success", self.env._("Availability and stock figures rebuilt.")
        else:
            kind, message = (
                "warning",
                self.env._(
                    "Other users are booking right now, so the rebuild could not run yet. "
                    "It will run by itself within a minute or two; nothing to do."
                ),
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": kind,
                "message": message,
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _on_ranks_changed(self, reordered=None):
        if reordered:
            found = self._fulfilment_reordered_spans(reordered)
            if found is None:
                # A kit among them: as for a rank written outright.
                self._mark_for_booking([(OTHER, self._booking_products())])
            else:
                spans, in_full = found
                rebook = self.env["sale.fulfilment.rebook"]
                rebook._mark_products(in_full, OTHER)
                rebook._note_reordered(spans)
        else:
            # Moved in the ranks: whatever they were, not appended any more.
            self._mark_for_booking([(OTHER, self._booking_products())])
        if not trusted(self.env, RANK_SYNC_CONTEXT):
            self.env["sale.fulfilment.priority"]._sync_productions_to_orders()

    def _fulfilment_reordered_spans(self, reordered):
        """({product id: ids of the orders whose lines of the product changed
        places among its lines, and of those in between}, {product id to book
        in full: its span holds Expected lines, or In stock beside others})
        in a reorder
        (``reordered``: {order id: (old rank, new rank)}): only those products'
        booking can change, since a product's lines are booked in rank order;
        None when a kit line is among them.

        A span whose lines got stock and others did not, or got a supply,
        reorders what was handed out: it is booked in full at once, where the
        check of a drag (``_book_reordered``) would read every line of the
        span only to find it so. A span all In stock (the top of the list) or
        all Not available (a backlog) is left to that check. The stored
        status is only a hint here: the check reads the lines.

        A planner drops one order above others: every order in between moves
        down one place, yet keeps its place among the orders that share its
        products; only the dropped order's products are re-booked, not the
        whole page's. Orders ranked outside the reordered span keep their
        place beside everything. A kit books its components: when a kit line
        is in the span, every product of the reordered orders is booked, as
        for a rank written outright.
        """
        ranks = [rank for pair in reordered.values() for rank in pair]
        # Only the products of the reordered orders can change places among
        # their lines (the others' orders all keep their ranks), and kits,
        # which book components under their own product: the drop of an order
        # from the bottom of 20,000 onto the top read 100,000 lines in 180-250
        # ms, where its own products' lines in between take 1.4 ms. As a
        # subquery the product index is used; as an OR it was not.
        booking = self.env["sale.fulfilment.booking"]
        kit_products, kit_templates, _components = booking._kit_bom_products()
        self.env.cr.execute(
            SQL(
                """
                SELECT so.id, so.fulfilment_priority, so.date_order, sol.product_id,
                       pt.is_storable, a.status,
                       sol.product_id = ANY(%(kit_products)s::int[])
                           OR pp.product_tmpl_id = ANY(%(kit_templates)s::int[])
                  FROM sale_order so
                  JOIN sale_order_line sol ON sol.order_id = so.id
                  JOIN product_product pp ON pp.id = sol.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  LEFT JOIN sale_fulfilment_line_availability a ON a.id = sol.id
                 WHERE so.state = 'sale' AND sol.display_type IS NULL
                   AND so.fulfilment_priority BETWEEN %(low)s AND %(high)s
                   AND %(few_orders)s
                   AND sol.product_id IN (
                        SELECT moved.product_id FROM sale_order_line moved
                         WHERE moved.order_id = ANY(%(orders)s::int[])
                        UNION
                        SELECT kit.id FROM product_product kit
                         WHERE kit.id = ANY(%(kit_products)s::int[])
                            OR kit.product_tmpl_id = ANY(%(kit_templates)s::int[]))
                """,
                low=min(ranks),
                high=max(ranks),
                # Ranks are unique: a narrow range holds few orders, whose
                # lines are then read by order (the drop onto the top of a
                # page), not every line of the moved orders' products (1,500
                # in the load benchmark's backlog, 4 ms of a 30 ms drag).
                # As an array of ids, which PostgreSQL expects short.
                few_orders=SQL(
                    """sol.order_id = ANY(ARRAY(
                           SELECT o.id FROM sale_order o
                            WHERE o.fulfilment_priority BETWEEN %s AND %s))""",
                    min(ranks),
                    max(ranks),
                )
                if max(ranks) - min(ranks) <= SPAN_BY_ORDERS
                else SQL("TRUE"),
                orders=pg_array(sorted(reordered)),
                kit_products=pg_array(sorted(kit_products)),
                kit_templates=pg_array(sorted(kit_templates)),
            )
        )
        rows = self.env.cr.fetchall()
        # A kit line (its product or template has a kit bill of materials,
        # the booking's own lookup) among them: told by the query itself.
        if any(row[6] for row in rows):
            return None
        orders = defaultdict(set)
        keys = {}
        statuses = defaultdict(lambda: defaultdict(set))
        for order_id, rank, date_order, product_id, storable, status, _kit in rows:
            if not storable:
                continue  # nothing booked
            orders[product_id].add(order_id)
            if status != "delivered":  # takes nothing wherever it stands
                statuses[product_id][order_id].add(status)
            old_rank = reordered[order_id][0] if order_id in reordered else rank
            # The booking's own order: rank, then date, then id.
            keys[order_id] = ((old_rank, date_order, order_id), (rank, date_order, order_id))
        spans = {}
        for product_id, ids in orders.items():
            before = sorted(ids, key=lambda i: keys[i][0])
            after = sorted(ids, key=lambda i: keys[i][1])
            moved = [n for n, (old, new) in enumerate(zip(before, after)) if old != new]
            if moved:
                spans[product_id] = set(before[moved[0] : moved[-1] + 1])
        in_full = set()
        for pid, span in spans.items():
            held = set().union(*(statuses[pid][oid] for oid in span))
            if held not in ({"in_stock"}, {"not_available"}, set()):
                in_full.add(pid)
        return {pid: span for pid, span in spans.items() if pid not in in_full}, in_full
