"""Many users at once: two (or three) real transactions, committed in the
interleavings that could break the booking.

The data must be committed for every transaction to see it: it is built in a
cursor of its own and removed afterwards; the test's own cursor books nothing,
so it holds none of the locks the other transactions take.
"""
# These tests commit real transactions on purpose: that is what they test.
# pylint: disable=invalid-commit

import contextlib
import threading
import time
import uuid
from unittest.mock import patch

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import TransactionCase, tagged

from odoo.addons.sale_fulfilment.models import sale_fulfilment_rebook
from odoo.addons.sale_fulfilment.models.sale_fulfilment_rebook import LOCK_NAMESPACES, LOCK_REBUILD
from odoo.addons.sale_fulfilment.tests.common import record_full_bookings

WAIT = 30  # seconds: a hang fails the test instead of blocking the run


@tagged("post_install", "-at_install")
class TestManyUsers(TransactionCase):
    def _env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})

    def _committed(self, func):
        with self.registry.cursor() as cr:
            return func(self._env(cr))

    def _quotation(self, product_key, qty):
        """A committed quotation of ``qty`` of the product: its id."""

        def create(env):
            line = Command.create({"product_id": self.data[product_key], "product_uom_qty": qty})
            return (
                env["sale.order"]
                .create({"partner_id": self.data["customer"], "order_line": [line]})
                .id
            )

        return self._committed(create)

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]

        def build(env):
            warehouse = env["stock.warehouse"].search(
                [("company_id", "=", env.company.id)], limit=1
            )

            def product(name):
                return env["product.product"].create(
                    {"name": f"{name} {tag}", "type": "consu", "is_storable": True}
                )

            bench, stool = product("Many-users bench"), product("Many-users stool")
            customer = env["res.partner"].create({"name": f"Many-users customer {tag}"})

            def order(prod, qty):
                so = env["sale.order"].create(
                    {
                        "partner_id": customer.id,
                        "warehouse_id": warehouse.id,
                        "order_line": [
                            Command.create({"product_id": prod.id, "product_uom_qty": qty})
                        ],
                    }
                )
                so.action_confirm()
                return so.id

            return {
                "bench": bench.id,
                "stool": stool.id,
                "location": warehouse.lot_stock_id.id,
                "first": order(bench, 5),
                "second": order(bench, 5),
                "stool_order": order(stool, 3),
                "customer": customer.id,
            }

        self.data = self._committed(build)
        self.addCleanup(self._committed, self._clean)

    def _clean(self, env):
        data = self.data
        products = [data["bench"], data["stool"]]
        orders = env["sale.order"].search([("partner_id", "=", data["customer"])])
        orders._action_cancel()
        pickings = orders.picking_ids
        moves = env["stock.move"].search([("product_id", "in", products)])
        # What was shipped cannot be cancelled nor deleted through Odoo: the
        # test's own data goes in SQL.
        done = moves.filtered(lambda m: m.state == "done")
        if done:
            env.cr.execute(
                "DELETE FROM stock_valuation_layer WHERE stock_move_id = ANY(%s)", [done.ids]
            )
            env.cr.execute("DELETE FROM stock_move_line WHERE move_id = ANY(%s)", [done.ids])
            env.cr.execute("DELETE FROM stock_move WHERE id = ANY(%s)", [done.ids])
            done_pickings = pickings.filtered(lambda p: p.state == "done")
            env.cr.execute("DELETE FROM stock_picking WHERE id = ANY(%s)", [done_pickings.ids])
            env.invalidate_all()
            moves, pickings = (moves - done).exists(), pickings.exists()
        moves._action_cancel()
        moves.move_line_ids.unlink()
        moves.unlink()
        pickings.unlink()
        groups = orders.procurement_group_id
        orders.unlink()
        groups.unlink()
        env["stock.quant"].search([("product_id", "in", products)]).sudo().unlink()
        env.cr.execute(
            "DELETE FROM sale_fulfilment_rebook_queue WHERE product_id = ANY(%s)", [products]
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _stock(self, env, product_key, qty):
        env["stock.quant"]._update_available_quantity(
            env["product.product"].browse(self.data[product_key]),
            env["stock.location"].browse(self.data["location"]),
            qty,
        )

    def _drag_second_first(self, env):
        orders = env["sale.order"].browse([self.data["second"], self.data["first"]])
        orders._set_ranks()

    STORED_SQL = """
        SELECT sol.order_id, a.status, a.missing_qty, oa.status
          FROM sale_order_line sol
          LEFT JOIN sale_fulfilment_line_availability a ON a.id = sol.id
          LEFT JOIN sale_fulfilment_order_availability oa ON oa.id = sol.order_id
         WHERE sol.product_id = %s
         ORDER BY sol.order_id
    """

    def _stored(self, product_key):
        """What is stored for the product's lines and orders, from a fresh cursor."""
        with self.registry.cursor() as cr:
            cr.execute(self.STORED_SQL, [self.data[product_key]])
            return cr.fetchall()

    def _rebuilt(self, product_key):
        """What a full booking of the product gives now (rolled back)."""
        with self.registry.cursor() as cr:
            self._env(cr)["sale.fulfilment.booking"]._rebook([self.data[product_key]])
            cr.execute(self.STORED_SQL, [self.data[product_key]])
            rows = cr.fetchall()
            cr.rollback()
            return rows

    def _queued(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT COUNT(*) FROM sale_fulfilment_rebook_queue WHERE product_id = ANY(%s)",
                [[self.data["bench"], self.data["stool"]]],
            )
            return cr.fetchone()[0]

    def _status_of(self, order_key):
        by_order = {row[0]: row for row in self._stored("bench")}
        return by_order[self.data[order_key]][1]

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------
    def test_stale_interleaving_ends_as_a_full_booking(self):
        """An inventory count and a drag of the same product, each transaction
        started before the other committed, in both commit orders."""
        for count_first in (True, False):
            with self.subTest(count_first=count_first):
                with self.registry.cursor() as count_cr, self.registry.cursor() as drag_cr:
                    # Both snapshots are taken before either commits.
                    count_cr.execute("SELECT 1")
                    drag_cr.execute("SELECT 1")
                    steps = [
                        (count_cr, lambda env: self._stock(env, "bench", 5)),
                        (drag_cr, self._drag_second_first),
                    ]
                    if not count_first:
                        steps.reverse()
                    for cr, step in steps:
                        step(self._env(cr))
                        cr.commit()
                # Five benches in stock, the second order dragged first: it gets them.
                self.assertEqual(self._status_of("second"), "in_stock")
                self.assertEqual(self._status_of("first"), "not_available")
                self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
                self.assertEqual(self._queued(), 0)
                # Back to the start for the other order of commits.
                with self.registry.cursor() as cr:
                    env = self._env(cr)
                    self._stock(env, "bench", -5)
                    env["sale.order"].browse([self.data["first"], self.data["second"]])._set_ranks()

    def test_drag_and_line_edit_of_the_same_product_end_as_a_full_booking(self):
        """A planner drags the second order first while a salesman cuts the
        first order's line from 5 to 2: both transactions start before either
        commits, in both commit orders. Whichever writes second is retried, as
        Odoo retries a request that could not serialize."""
        self._committed(lambda env: self._stock(env, "bench", 5))

        def edit(env):
            env["sale.order"].browse(self.data["first"]).order_line.product_uom_qty = 2

        for drag_first in (True, False):
            with self.subTest(drag_first=drag_first):
                with self.registry.cursor() as drag_cr, self.registry.cursor() as edit_cr:
                    steps = [(drag_cr, self._drag_second_first), (edit_cr, edit)]
                    retried = self._interleaved(steps if drag_first else steps[::-1])
                # Both saves landed: the edit and the drag.
                self.assertEqual(retried, 1, "the second writer of the orders is retried")
                with self.registry.cursor() as cr:
                    first = self._env(cr)["sale.order"].browse(self.data["first"])
                    self.assertEqual(first.order_line.product_uom_qty, 2)
                # Five benches: the second order, now first, takes them all.
                self.assertEqual(self._status_of("second"), "in_stock")
                self.assertEqual(self._status_of("first"), "not_available")
                self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
                self.assertEqual(self._queued(), 0)
                # Back to the start for the other order of commits.
                with self.registry.cursor() as cr:
                    env = self._env(cr)
                    env["sale.order"].browse(self.data["first"]).order_line.product_uom_qty = 5
                    env["sale.order"].browse([self.data["first"], self.data["second"]])._set_ranks()

    FIGURES_SQL = """
        SELECT warehouse_id, in_stock_qty, committed_qty, calculated_stock_qty, missing_qty
          FROM sale_fulfilment_stock WHERE product_id = %s ORDER BY warehouse_id
    """

    def _figures(self, product_key, rebuilt=False):
        """The product's Stock figures, stored or after a full booking (rolled back)."""
        with self.registry.cursor() as cr:
            if rebuilt:
                self._env(cr)["sale.fulfilment.booking"]._rebook([self.data[product_key]])
            cr.execute(self.FIGURES_SQL, [self.data[product_key]])
            rows = cr.fetchall()
            cr.rollback()
            return rows

    def test_concurrent_confirmations_of_the_same_product_end_as_a_full_booking(self):
        """Two salesmen confirm an order of stools at the same moment; each
        confirmation books from what the lines above left (its pool's state).
        Both transactions start before either commits: the first commits before
        the second confirms, or both confirm and the later-ranked one commits
        first. Lines, Committed and Calculated stock end as a full booking."""

        def confirm(cr, order_id):
            self._env(cr)["sale.order"].browse(order_id).action_confirm()
            cr.flush()  # booked, or queued when the other holds the stools

        for overlapping in (False, True):
            with self.subTest(overlapping=overlapping):
                one_id, two_id = self._quotation("stool", 2), self._quotation("stool", 2)
                errors = []
                with self.registry.cursor() as one, self.registry.cursor() as two:
                    one.execute("SELECT 1")
                    two.execute("SELECT 1")
                    confirm(one, one_id)
                    if not overlapping:
                        one.commit()
                        confirm(two, two_id)
                        two.commit()
                    else:
                        confirm(two, two_id)

                        def commit_two(cr, found):
                            try:
                                cr.commit()  # its booking waits for the first
                            except Exception as error:  # reported below
                                found.append(error)

                        thread = threading.Thread(target=commit_two, args=(two, errors))
                        thread.start()
                        time.sleep(0.5)
                        one.commit()
                        thread.join(WAIT)
                        self.assertFalse(thread.is_alive())
                self.assertEqual(errors, [])
                self.assertEqual(self._stored("stool"), self._rebuilt("stool"))
                self.assertEqual(self._figures("stool"), self._figures("stool", rebuilt=True))
                self.assertEqual(self._queued(), 0)
        # Three stools of setUp's order and 2 x 2 twice: 11 committed, none in stock.
        self.assertEqual(self._figures("stool")[0][2:], (11, -11, 11))

    def _confirm_colliding(self, last_try):
        """Two salesmen confirm orders of benches at the same moment, both
        reserving the same stock; the second transaction began before the
        first committed, so Odoo cannot lock the quant the first changed.
        ``last_try``: whether Odoo runs the second request for the last time."""
        self._committed(lambda env: self._stock(env, "bench", 20))
        one_id, two_id = self._quotation("bench", 2), self._quotation("bench", 2)
        sale_order = type(self.env["sale.order"])
        with patch.object(sale_order, "_fulfilment_last_try", lambda _orders: last_try):
            self._confirm_in_turn(one_id, two_id)
        return one_id, two_id

    def _confirm_in_turn(self, first_id, second_id):
        """Two salesmen's transactions, both begun before either commits: the
        first confirms its order and commits, then the second."""
        with self.registry.cursor() as one, self.registry.cursor() as two:
            one.execute("SELECT 1")
            two.execute("SELECT 1")
            self._env(one)["sale.order"].browse(first_id).action_confirm()
            one.commit()
            self._env(two)["sale.order"].browse(second_id).action_confirm()
            two.commit()

    def test_a_collision_before_the_last_try_is_odoos_to_retry(self):
        """The first tries of a request stay Odoo's: the collision fails the
        transaction, which Odoo retries after a back-off (no savepoint, no
        cost when nothing collides)."""
        with self.assertRaises(SerializationFailure):
            self._confirm_colliding(last_try=False)

    def test_a_reservation_that_collides_on_the_last_try_is_made_after_the_commit(self):
        """On Odoo's last try, where a collision would show the user the
        error, the confirmation goes through and its delivery is reserved
        right after its commit, in rank order."""
        one_id, two_id = self._confirm_colliding(last_try=True)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            orders = env["sale.order"].browse(
                [self.data["first"], self.data["second"], one_id, two_id]
            )
            # setUp's two waiting orders (ranked first) and both new ones.
            self.assertEqual(orders.mapped("state"), ["sale"] * 4)
            self.assertEqual(orders.picking_ids.mapped("state"), ["assigned"] * 4)
            quants = env["stock.quant"].search(
                [
                    ("product_id", "=", self.data["bench"]),
                    ("location_id", "=", self.data["location"]),
                ]
            )
            self.assertEqual(sum(quants.mapped("reserved_quantity")), 14)
        self.assertEqual([row[1] for row in self._stored("bench")], ["in_stock"] * 4)
        self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
        self.assertEqual(self._queued(), 0)

    # ------------------------------------------------------------------
    # Deliveries validated (booked from what the lines booked from stock)
    # ------------------------------------------------------------------
    def _confirmed_benches(self, qty, count):
        """Cancel what is open of the bench, stock ``qty * count`` and confirm
        ``count`` orders of ``qty``, in order: their ids. Each is reserved."""
        ids = [self._quotation("bench", qty) for _i in range(count)]

        def confirm(env):
            open_orders = env["sale.order"].search(
                [
                    ("partner_id", "=", self.data["customer"]),
                    ("state", "=", "sale"),
                    ("order_line.product_id", "=", self.data["bench"]),
                ]
            )
            open_orders.filtered(lambda o: o.delivery_status != "full")._action_cancel()
            self._stock(env, "bench", qty * count)
            orders = env["sale.order"].browse(ids)
            for order in orders:
                order.action_confirm()
            env.flush_all()
            for order in orders:
                self.assertEqual(order.picking_ids.state, "assigned")

        self._committed(confirm)
        return ids

    def _ship(self, order_id):
        def ship(env):
            picking = env["sale.order"].browse(order_id).picking_ids
            for move in picking.move_ids:
                move.quantity = move.product_uom_qty
                move.picked = True
            picking.with_context(skip_backorder=True, skip_sms=True).button_validate()

        return ship

    def _interleaved(self, steps):
        """Run each (cursor, step) and commit it, in order, every cursor's
        snapshot taken first; a step that cannot serialize is retried once, as
        Odoo retries a request. Returns how many were retried."""
        retried = 0
        for cr, _step in steps:
            cr.execute("SELECT 1")
        for cr, step in steps:
            try:
                step(self._env(cr))
                cr.commit()
            except SerializationFailure:
                retried += 1
                cr.rollback()
                step(self._env(cr))
                cr.commit()
        return retried

    def _bench_statuses(self, order_ids):
        by_order = {row[0]: row[1] for row in self._stored("bench")}
        return [by_order[order_id] for order_id in order_ids]

    def test_concurrent_deliveries_of_the_same_product_end_as_a_full_booking(self):
        """Two warehouse users ship two In stock orders of benches at the same
        moment, in both commit orders; the third order, short of stock, stays
        Not available. Each delivery books from what its line had booked
        from stock: lines and figures end as a full booking."""
        for reverse in (False, True):
            with self.subTest(reverse=reverse):
                one, two, three = self._confirmed_benches(2, 3)
                self._committed(lambda env: self._stock(env, "bench", -2))
                with self.registry.cursor() as one_cr, self.registry.cursor() as two_cr:
                    steps = [(one_cr, self._ship(one)), (two_cr, self._ship(two))]
                    self._interleaved(steps[::-1] if reverse else steps)
                self.assertEqual(
                    self._bench_statuses([one, two, three]),
                    ["delivered", "delivered", "not_available"],
                )
                self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
                self.assertEqual(self._figures("bench"), self._figures("bench", rebuilt=True))
                self.assertEqual(self._figures("bench")[0][1:3], (0, 2))
                self.assertEqual(self._queued(), 0)

    def test_delivery_and_drag_of_the_same_product_end_as_a_full_booking(self):
        """A warehouse user ships the first order's benches, reserved and In
        stock, while a planner drags the second order above it: the second
        was then promised the stock being shipped. In both commit orders the
        second ends Not available, as a full booking says."""
        for ship_first in (True, False):
            with self.subTest(ship_first=ship_first):
                first, second = self._confirmed_benches(3, 2)
                self._committed(lambda env: self._stock(env, "bench", -3))
                self.assertEqual(
                    self._bench_statuses([first, second]), ["in_stock", "not_available"]
                )

                def drag(env, first=first, second=second):
                    env["sale.order"].browse([second, first])._set_ranks()

                with self.registry.cursor() as ship_cr, self.registry.cursor() as drag_cr:
                    steps = [(ship_cr, self._ship(first)), (drag_cr, drag)]
                    self._interleaved(steps if ship_first else steps[::-1])
                self.assertEqual(
                    self._bench_statuses([first, second]), ["delivered", "not_available"]
                )
                self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
                self.assertEqual(self._figures("bench"), self._figures("bench", rebuilt=True))
                self.assertEqual(self._queued(), 0)

    def test_drag_in_a_backlog_and_a_receipt_end_as_a_full_booking(self):
        """A planner drags the last of three waiting orders to the top of the
        backlog (a drag that books nothing again, every line having got
        nothing) while a warehouse user receives two benches: both start
        before either commits, in both commit orders. The benches go to the
        dragged order, as a full booking says."""
        for drag_first in (True, False):
            with self.subTest(drag_first=drag_first):
                one, two, three = self._confirmed_benches(2, 3)
                self._committed(lambda env: self._stock(env, "bench", -6))
                self.assertEqual(self._bench_statuses([one, two, three]), ["not_available"] * 3)

                def drag(env, one=one, two=two, three=three):
                    env["sale.order"].browse([three, one, two])._set_ranks()

                def receive(env):
                    self._stock(env, "bench", 2)

                with self.registry.cursor() as drag_cr, self.registry.cursor() as receive_cr:
                    steps = [(drag_cr, drag), (receive_cr, receive)]
                    self._interleaved(steps if drag_first else steps[::-1])
                self.assertEqual(
                    self._bench_statuses([three, one, two]),
                    ["in_stock", "not_available", "not_available"],
                )
                self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
                self.assertEqual(self._figures("bench"), self._figures("bench", rebuilt=True))
                self.assertEqual(self._queued(), 0)
                self._committed(lambda env: self._stock(env, "bench", -2))

    def test_drag_at_the_top_and_a_count_end_as_a_full_booking(self):
        """A planner drags the second of two In stock orders above the first
        (a drag that books nothing again, every line having got all it needs
        from stock) while a warehouse user counts two benches fewer: both
        start before either commits, in both commit orders. The dragged order
        keeps its benches, the other misses two, as a full booking says."""
        for drag_first in (True, False):
            with self.subTest(drag_first=drag_first):
                one, two = self._confirmed_benches(2, 2)
                self.assertEqual(self._bench_statuses([one, two]), ["in_stock"] * 2)

                def drag(env, one=one, two=two):
                    env["sale.order"].browse([two, one])._set_ranks()

                def count(env):
                    self._stock(env, "bench", -2)

                with self.registry.cursor() as drag_cr, self.registry.cursor() as count_cr:
                    steps = [(drag_cr, drag), (count_cr, count)]
                    self._interleaved(steps if drag_first else steps[::-1])
                self.assertEqual(self._bench_statuses([two, one]), ["in_stock", "not_available"])
                self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
                self.assertEqual(self._figures("bench"), self._figures("bench", rebuilt=True))
                self.assertEqual(self._queued(), 0)
                self._committed(lambda env: self._stock(env, "bench", -2))

    def test_a_delivery_that_gave_way_is_booked_after_its_commit_from_the_state(self):
        """Another transaction holds the benches while a warehouse user ships
        an In stock order: the delivery is queued, and booked right after its
        commit from what its line had booked from stock, without a full
        booking; it ends as one would."""
        first, second = self._confirmed_benches(2, 2)
        self._committed(lambda env: self._stock(env, "bench", -1))
        full = record_full_bookings(self)
        with self._held("bench") as release_soon:
            release_soon()
            with self.registry.cursor() as cr:
                self._ship(first)(self._env(cr))
                cr.commit()  # busy: queued, booked after the commit
        self.assertFalse([ids for ids in full if ids is None or self.data["bench"] in ids])
        self.assertEqual(self._bench_statuses([first, second]), ["delivered", "not_available"])
        self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
        self.assertEqual(self._figures("bench"), self._figures("bench", rebuilt=True))
        self.assertEqual(self._queued(), 0)

    def test_a_drag_that_gave_way_is_not_booked_again_after_its_commit(self):
        """Another transaction holds the benches while a planner drags the last
        of three waiting orders to the top of the backlog: the drag is queued
        and, after its commit, found to change nothing, without a full
        booking; it ends as one would."""
        one, two, three = self._confirmed_benches(2, 3)
        self._committed(lambda env: self._stock(env, "bench", -6))
        full = record_full_bookings(self)
        with self._held("bench") as release_soon:
            release_soon()
            with self.registry.cursor() as cr:
                self._env(cr)["sale.order"].browse([three, one, two])._set_ranks()
                cr.commit()  # busy: queued, booked after the commit
        self.assertFalse([ids for ids in full if ids is None or self.data["bench"] in ids])
        self.assertEqual(self._bench_statuses([three, one, two]), ["not_available"] * 3)
        self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
        self.assertEqual(self._figures("bench"), self._figures("bench", rebuilt=True))
        self.assertEqual(self._queued(), 0)
        # Two benches come: they go to the dragged order, now the first.
        self._committed(lambda env: self._stock(env, "bench", 2))
        self.assertEqual(
            self._bench_statuses([three, one, two]),
            ["in_stock", "not_available", "not_available"],
        )
        self._committed(lambda env: self._stock(env, "bench", -2))

    def test_different_products_do_not_wait(self):
        """One user's transaction holds the bench's booking open; another
        user's save of stools books and commits at once."""
        with self.registry.cursor() as bench_cr:
            bench_env = self._env(bench_cr)
            self._stock(bench_env, "bench", 5)
            bench_cr.flush()  # the bench is booked and locked until this commits
            started = time.monotonic()
            with self.registry.cursor() as stool_cr:
                stool_cr.execute("SET LOCAL lock_timeout = '2s'")
                self._stock(self._env(stool_cr), "stool", 3)
                stool_cr.commit()
            self.assertLess(time.monotonic() - started, 2)
            by_order = {row[0]: row[1] for row in self._stored("stool")}
            self.assertEqual(by_order[self.data["stool_order"]], "in_stock")
            bench_cr.rollback()
        self.assertEqual(self._status_of("first"), "not_available")

    def _document_status(self, table, record_id):
        """The stored status of an order or MO (``table``), from a fresh cursor."""
        with self.registry.cursor() as cr:
            cr.execute(f"SELECT status FROM {table} WHERE id = %s", [record_id])
            return cr.fetchone()[0]

    def _bench_counted_while_stools_come(self):
        """One bench less counted and committed, while another transaction,
        whose snapshot was taken before that commit, receives 4 stools."""
        with self.registry.cursor() as count_cr, self.registry.cursor() as receipt_cr:
            count_cr.execute("SELECT 1")
            receipt_cr.execute("SELECT 1")
            self._stock(self._env(count_cr), "bench", -1)
            count_cr.commit()
            self._stock(self._env(receipt_cr), "stool", 4)
            receipt_cr.commit()

    def test_an_order_of_two_products_booked_at_once_ends_as_a_full_booking(self):
        """An order holds a bench and a stool. One user counts one bench less
        (its bench line goes Not available: the order was Not available
        already, for its stool, and stays so); another, whose transaction
        began before that commit, receives stools (its stool line comes In
        stock). The second booking must not judge the order from the bench
        line as its snapshot saw it (In stock): the order is Not available."""

        def mixed(env):
            lines = [
                Command.create({"product_id": self.data[key], "product_uom_qty": 1})
                for key in ("bench", "stool")
            ]
            order = env["sale.order"].create(
                {"partner_id": self.data["customer"], "order_line": lines}
            )
            order.action_confirm()
            self._stock(env, "bench", 11)  # the two orders' 10, and 1 for this one
            return order.id

        mixed_id = self._committed(mixed)

        def order_status():
            return self._document_status("sale_fulfilment_order_availability", mixed_id)

        self.assertEqual(order_status(), "not_available", "no stool yet")
        self._bench_counted_while_stools_come()
        self.assertEqual(order_status(), "not_available", "its bench is short now")
        for product in ("bench", "stool"):
            self.assertEqual(self._stored(product), self._rebuilt(product))
        self.assertEqual(self._queued(), 0)

    def test_an_mo_of_two_components_booked_at_once_ends_as_a_full_booking(self):
        """The same for an MO that consumes a bench and a stool: its status is
        the worst of its components, booked by two transactions at once."""

        def make(env):
            table = env["product.product"].create(
                {"name": f"Many-users table {self.data['bench']}", "is_storable": True}
            )
            bom = env["mrp.bom"].create(
                {
                    "product_tmpl_id": table.product_tmpl_id.id,
                    "bom_line_ids": [
                        Command.create({"product_id": self.data[key], "product_qty": 1})
                        for key in ("bench", "stool")
                    ],
                }
            )
            production = env["mrp.production"].create(
                {"product_id": table.id, "bom_id": bom.id, "product_qty": 1}
            )
            production.action_confirm()
            # The two orders' 10 benches first (sales rank before components), 1 for the MO.
            self._stock(env, "bench", 11)
            return production.id, bom.id, table.id

        production_id, bom_id, table_id = self._committed(make)

        def clean(env):
            production = env["mrp.production"].browse(production_id)
            production.action_cancel()
            production.unlink()
            # Its stock moves keep the product: archived, as a user would.
            env["mrp.bom"].browse(bom_id).unlink()
            env["product.product"].browse(table_id).action_archive()

        self.addCleanup(self._committed, clean)

        def status():
            return self._document_status("sale_fulfilment_production_availability", production_id)

        self.assertEqual(status(), "not_available", "no stool yet")
        self._bench_counted_while_stools_come()
        self.assertEqual(status(), "not_available", "its bench is short now")
        self.assertEqual(self._queued(), 0)

    def test_same_product_booked_after_the_other_commits(self):
        """While one transaction books the bench, another's booking of it gives
        way and is done right after its commit, once the first has committed."""
        errors = []
        with self.registry.cursor() as first_cr, self.registry.cursor() as second_cr:
            first_cr.execute("SELECT 1")
            second_cr.execute("SELECT 1")
            self._stock(self._env(first_cr), "bench", 3)
            first_cr.flush()  # booked in the first transaction, which holds the bench
            self._stock(self._env(second_cr), "bench", 4)
            second_cr.flush()  # gives way: queued

            def commit_second():
                try:
                    # Its booking after the commit waits for the first transaction.
                    second_cr.commit()
                except Exception as error:  # reported below
                    errors.append(error)

            thread = threading.Thread(target=commit_second)
            thread.start()
            time.sleep(0.5)
            first_cr.commit()
            thread.join(WAIT)
            self.assertFalse(thread.is_alive())
        self.assertEqual(errors, [])
        # 7 in stock: the first order's 5 from stock, the second short of 3.
        self.assertEqual(self._status_of("first"), "in_stock")
        self.assertEqual(self._status_of("second"), "not_available")
        self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
        self.assertEqual(self._queued(), 0)

    def _hold(self, namespace_key, object_id, ready, release):
        """Hold an advisory lock in a transaction of its own until ``release``."""
        with self.registry.cursor() as cr:
            if namespace_key == "rebuild":
                cr.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK_REBUILD])
            else:
                cr.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)",
                    [LOCK_NAMESPACES[namespace_key], object_id],
                )
            ready.set()
            release.wait(WAIT)
            cr.rollback()

    @contextlib.contextmanager
    def _held(self, product_key):
        """Another transaction holds the product's booking lock inside the
        block; the function it yields has it released half a second later
        (a booking after a commit then waits for it, and goes on)."""
        ready, release = threading.Event(), threading.Event()
        holder = threading.Thread(
            target=self._hold, args=("product", self.data[product_key], ready, release)
        )
        holder.start()
        timers = []

        def release_soon():
            timers.append(threading.Timer(0.5, release.set))
            timers[-1].start()

        try:
            self.assertTrue(ready.wait(WAIT))
            yield release_soon
        finally:
            release.set()
            holder.join(WAIT)
            for timer in timers:
                timer.cancel()

    def test_queued_product_of_a_dead_process_is_booked_by_the_scheduled_action(self):
        with self._held("bench"), self.registry.cursor() as cr:
            self._stock(self._env(cr), "bench", 10)
            cr.flush()  # the bench is busy: queued in this transaction
            # The process dies between its commit and the booking after it.
            cr.postcommit.clear()
            cr.commit()
        self.assertEqual(self._queued(), 1)
        self.assertEqual(self._status_of("first"), "not_available", "not booked yet")
        with self.registry.cursor() as cr:
            booked = self._env(cr)["sale.fulfilment.rebook"]._cron_book_queued()
        self.assertIn(self.data["bench"], booked)
        self.assertEqual(self._queued(), 0)
        self.assertEqual(self._status_of("first"), "in_stock")
        self.assertEqual(self._status_of("second"), "in_stock")

    def test_busy_product_is_booked_right_after_the_commit(self):
        """The booking after the commit waits for the other booking, then books."""
        with self._held("bench") as release_soon:
            release_soon()
            with self.registry.cursor() as cr:
                self._stock(self._env(cr), "bench", 5)
                cr.commit()  # the booking after commit waits for the holder
        self.assertEqual(self._status_of("first"), "in_stock")
        self.assertEqual(self._queued(), 0)

    def test_after_the_commit_another_transactions_queued_change_is_booked_in_full(self):
        """A confirmation gives way (the stools are busy) and is booked after
        its commit, where it finds the row of another transaction, whose
        process died after cutting setUp's stool order from 3 to 1: that row
        may stand for any change, so the stools are booked in full, not from
        the pools' state."""
        self._committed(lambda env: self._stock(env, "stool", 2))

        def died(env):
            env.cr.execute(
                "UPDATE sale_order_line SET product_uom_qty = 1 WHERE order_id = %s",
                [self.data["stool_order"]],
            )
            # A row that says nothing of what changed: anything may have.
            env.cr.execute(
                "INSERT INTO sale_fulfilment_rebook_queue (product_id, queued_at)"
                " VALUES (%s, now() at time zone 'UTC')",
                [self.data["stool"]],
            )

        self._committed(died)
        order_id = self._quotation("stool", 2)
        full = record_full_bookings(self)
        with self._held("stool") as release_soon:
            release_soon()
            with self.registry.cursor() as cr:
                self._env(cr)["sale.order"].browse(order_id).action_confirm()
                cr.commit()  # busy: queued, booked after the commit
        self.assertTrue(any(ids and self.data["stool"] in ids for ids in full))
        by_order = {row[0]: row[1:3] for row in self._stored("stool")}
        # One stool for the order cut to 1, one for the new order's 2.
        self.assertEqual(by_order[self.data["stool_order"]][0], "in_stock")
        self.assertEqual(by_order[order_id], ("not_available", 1))
        self.assertEqual(self._stored("stool"), self._rebuilt("stool"))
        self.assertEqual(self._queued(), 0)

    def test_confirmations_queued_by_two_transactions_book_together_from_the_state(self):
        """Two confirmations of stools give way while another transaction holds
        them; the first one's process dies after its commit. The booking after
        the second commit consumes both rows: each says its transaction only
        appended an order, so both orders book from the pools' state at once,
        without a full booking, and end as one would."""
        self._committed(lambda env: self._stock(env, "stool", 4))
        first_id, second_id = self._quotation("stool", 2), self._quotation("stool", 2)
        full = record_full_bookings(self)
        with self._held("stool") as release_soon:
            with self.registry.cursor() as cr:
                self._env(cr)["sale.order"].browse(first_id).action_confirm()
                cr.flush()  # busy: queued
                cr.postcommit.clear()  # the process dies after its commit
                cr.commit()
            self.assertEqual(self._queued(), 1)
            release_soon()
            with self.registry.cursor() as cr:
                self._env(cr)["sale.order"].browse(second_id).action_confirm()
                cr.commit()  # busy: queued, booked after the commit with the other
        self.assertFalse([ids for ids in full if ids is None or self.data["stool"] in ids])
        by_order = {row[0]: row[1:3] for row in self._stored("stool")}
        # Three of the four stools for setUp's order, one for the first's two.
        self.assertEqual(by_order[first_id], ("not_available", 1))
        self.assertEqual(by_order[second_id], ("not_available", 2))
        self.assertEqual(self._stored("stool"), self._rebuilt("stool"))
        self.assertEqual(self._figures("stool"), self._figures("stool", rebuilt=True))
        self.assertEqual(self._queued(), 0)

    def test_concurrent_confirmations_get_distinct_ranks(self):
        first, second = self._quotation("stool", 1), self._quotation("stool", 1)
        self._confirm_in_turn(first, second)
        with self.registry.cursor() as cr:
            ranks = (
                self._env(cr)["sale.order"].browse([first, second]).mapped("fulfilment_priority")
            )
        self.assertNotEqual(ranks[0], ranks[1])
        self.assertLess(ranks[0], ranks[1])

    def _ranks(self, keys):
        with self.registry.cursor() as cr:
            orders = self._env(cr)["sale.order"].browse([self.data[k] for k in keys])
            return dict(zip(keys, orders.mapped("fulfilment_priority")))

    def test_overlapping_drags_at_once_keep_ranks_unique(self):
        """Two planners drag overlapping sets of orders at the same moment.
        The second, whose snapshot predates the first's commit, must not hand
        out ranks from that stale snapshot: PostgreSQL refuses its write (Odoo
        retries such a request), and the retry, fresh, permutes what it finds."""
        keys = ("first", "second", "stool_order")
        before = self._ranks(keys)
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            cr1.execute("SELECT 1")
            cr2.execute("SELECT 1")
            # Planner 1: the second order above the first.
            self._env(cr1)["sale.order"].browse(
                [self.data["second"], self.data["first"]]
            )._set_ranks()
            cr1.commit()
            # Planner 2, from before that commit: the stool order above the second.
            env2 = self._env(cr2)
            with self.assertRaises(SerializationFailure):
                env2["sale.order"].browse(
                    [self.data["stool_order"], self.data["second"]]
                )._set_ranks()
                env2.flush_all()
            cr2.rollback()
        # Odoo's retry of planner 2's request, in a fresh transaction.
        self._committed(
            lambda env: (
                env["sale.order"]
                .browse([self.data["stool_order"], self.data["second"]])
                ._set_ranks()
            )
        )
        after = self._ranks(keys)
        self.assertEqual(sorted(after.values()), sorted(before.values()))
        ranked = sorted(keys, key=after.get)
        self.assertEqual(ranked, ["stool_order", "first", "second"])
        # What is stored is what a booking from scratch gives.
        self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
        self.assertEqual(self._queued(), 0)

    def test_a_drag_in_its_own_transaction_does_not_collide(self):
        """The lists' drag (``_set_ranks_in_own_transaction``, what the
        resequence route calls) from a request that began before another
        drag of the same orders committed: no serialization failure for Odoo
        to retry after a sleep; it permutes the ranks the other left."""
        keys = ("first", "second", "stool_order")
        before = self._ranks(keys)
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            cr1.execute("SELECT 1")
            cr2.execute("SELECT 1")
            self._env(cr1)["sale.order"].browse(
                [self.data["second"], self.data["first"]]
            )._set_ranks()
            cr1.commit()
            # Planner 2's request, its snapshot older than planner 1's commit.
            moved = (
                self._env(cr2)["sale.order"]
                .browse([self.data["stool_order"], self.data["second"]])
                ._set_ranks_in_own_transaction()
            )
            cr2.rollback()
        self.assertEqual(set(moved), {self.data["stool_order"], self.data["second"]})
        after = self._ranks(keys)
        self.assertEqual(sorted(after.values()), sorted(before.values()))
        self.assertEqual(sorted(keys, key=after.get), ["stool_order", "first", "second"])
        # Its booking ran at its own commit: what is stored is what a booking
        # from scratch gives.
        self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
        self.assertEqual(self._queued(), 0)

    def test_a_drag_waits_for_another_drag_in_flight(self):
        """Two drags of the same orders, the second begun while the first is
        not committed yet: the second waits for the first's row locks, then
        permutes the ranks the first left (read before the first committed,
        it would hand out stale ranks twice)."""
        keys = ("first", "second", "stool_order")
        before = self._ranks(keys)
        errors = []
        with self.registry.cursor() as cr1:
            self._env(cr1)["sale.order"].browse(
                [self.data["second"], self.data["first"]]
            )._set_ranks()
            cr1.flush()

            def second_drag():
                try:
                    with self.registry.cursor() as cr2:
                        self._env(cr2)["sale.order"].browse(
                            [self.data["stool_order"], self.data["second"]]
                        )._set_ranks_in_own_transaction()
                        cr2.rollback()
                except Exception as error:  # reported below
                    errors.append(error)

            thread = threading.Thread(target=second_drag)
            thread.start()
            time.sleep(0.5)
            cr1.commit()
            thread.join(WAIT)
            self.assertFalse(thread.is_alive())
        self.assertEqual(errors, [])
        after = self._ranks(keys)
        self.assertEqual(sorted(after.values()), sorted(before.values()))
        self.assertEqual(sorted(keys, key=after.get), ["stool_order", "first", "second"])
        self.assertEqual(self._stored("bench"), self._rebuilt("bench"))
        self.assertEqual(self._queued(), 0)

    def test_rebuild_waits_for_bookings_then_runs_later(self):
        """A rebuild that cannot get the lock is not skipped: it is scheduled
        again, and says so."""
        ready, release = threading.Event(), threading.Event()
        holder = threading.Thread(target=self._hold, args=("rebuild", 0, ready, release))
        holder.start()
        try:
            self.assertTrue(ready.wait(WAIT))
            with patch.object(sale_fulfilment_rebook, "LOCK_TIMEOUT", "500ms"):
                with self.registry.cursor() as cr:
                    env = self._env(cr)
                    cron = env.ref("sale_fulfilment.ir_cron_rebuild_availability")
                    cr.execute("SELECT COUNT(*) FROM ir_cron_trigger WHERE cron_id = %s", [cron.id])
                    triggers = cr.fetchone()[0]
                    self.assertEqual(env["sale.fulfilment.rebook"]._cron_rebuild(), "postponed")
                    cr.execute("SELECT COUNT(*) FROM ir_cron_trigger WHERE cron_id = %s", [cron.id])
                    self.assertEqual(cr.fetchone()[0], triggers + 1)
                    cr.rollback()
        finally:
            release.set()
            holder.join(WAIT)
        with self.registry.cursor() as cr:
            self._stock(self._env(cr), "bench", 5)
            cr.commit()
        with self.registry.cursor() as cr:
            # Stale status, as after an import in SQL.
            cr.execute(
                "DELETE FROM sale_fulfilment_line_availability WHERE id IN "
                "(SELECT id FROM sale_order_line WHERE order_id = %s)",
                [self.data["first"]],
            )
            cr.commit()
            self.assertEqual(self._env(cr)["sale.fulfilment.rebook"]._cron_rebuild(), "done")
            cr.commit()
        self.assertEqual(self._status_of("first"), "in_stock")

    def test_rebuild_in_a_stale_transaction_is_done_fresh(self):
        """The scheduled rebuild's transaction started before another booking
        committed: it must not write what its snapshot says."""
        with self.registry.cursor() as cron_cr:
            cron_cr.execute("SELECT 1")  # the cron worker's snapshot
            with self.registry.cursor() as cr:
                self._stock(self._env(cr), "bench", 5)
                cr.commit()
            self.assertEqual(self._status_of("first"), "in_stock")
            env = self._env(cron_cr)
            self.assertFalse(env["sale.fulfilment.rebook"]._rebuild(), "stale: gives way")
            self.assertEqual(env["sale.fulfilment.rebook"]._cron_rebuild(), "done")
            cron_cr.commit()
        self.assertEqual(self._status_of("first"), "in_stock")
        self.assertEqual(self._stored("bench"), self._rebuilt("bench"))

    def test_mass_import_skips_bookings_and_schedules_one_rebuild(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            cron = env.ref("sale_fulfilment.ir_cron_rebuild_availability")
            cr.execute("SELECT COUNT(*) FROM ir_cron_trigger WHERE cron_id = %s", [cron.id])
            triggers = cr.fetchone()[0]
            self._stock(env(context={"sale_fulfilment_no_rebook": True}), "bench", 5)
            cr.commit()
            cr.execute("SELECT COUNT(*) FROM ir_cron_trigger WHERE cron_id = %s", [cron.id])
            self.assertEqual(cr.fetchone()[0], triggers + 1)
        self.assertEqual(self._status_of("first"), "not_available", "left to the rebuild")
        with self.registry.cursor() as cr:
            self.assertEqual(self._env(cr)["sale.fulfilment.rebook"]._cron_rebuild(), "done")
        self.assertEqual(self._status_of("first"), "in_stock")

    def test_booking_of_many_orders_locks_the_rebuild_instead(self):
        """More orders than PostgreSQL's lock table holds one by one: the
        booking after the commit takes the rebuild lock alone, and books."""
        with patch.object(sale_fulfilment_rebook, "LOCK_LIMIT", 1):
            with self.registry.cursor() as cr:
                self._stock(self._env(cr), "bench", 10)
                cr.commit()
        self.assertEqual(self._status_of("first"), "in_stock")
        self.assertEqual(self._status_of("second"), "in_stock")
        self.assertEqual(self._queued(), 0)
