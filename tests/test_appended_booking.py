"""Orders confirmed at the bottom of the ranks book from what the lines above
left (``pool_state``), without reading those lines again; anything else books
in full. Every case ends as a full booking would."""

from odoo.tests import new_test_user, tagged

from .common import FulfilmentCase, record_full_bookings

STORED_SQL = """
    SELECT sol.id, a.status, a.date, a.missing_qty, a.details::text
      FROM sale_order_line sol
      LEFT JOIN sale_fulfilment_line_availability a ON a.id = sol.id
     WHERE sol.product_id = ANY(%(products)s)
     ORDER BY sol.id
"""
FIGURES_SQL = """
    SELECT product_id, warehouse_id, in_stock_qty, expected_qty, committed_qty,
           calculated_stock_qty, missing_qty
      FROM sale_fulfilment_stock
     WHERE product_id = ANY(%(products)s)
     ORDER BY 1, 2
"""


class BookingStateCase(FulfilmentCase):
    """Helpers: what is stored, against a full booking."""

    def setUp(self):
        super().setUp()
        self.booking = self.env["sale.fulfilment.booking"]
        self.full = record_full_bookings(self)

    def _stored(self, products):
        cr = self.env.cr
        cr.execute(STORED_SQL, {"products": products.ids})
        lines = cr.fetchall()
        cr.execute(FIGURES_SQL, {"products": products.ids})
        figures = [(*row[:2], *(round(value, 6) for value in row[2:])) for row in cr.fetchall()]
        return lines, figures

    def _assert_as_a_full_booking(self, products):
        """What is stored equals what booking every line again gives, and the
        state kept of each pool equals the state a walk of every line leaves."""
        self.env.flush_all()
        stored = self._stored(products)
        self.env.cr.execute(
            "SELECT product_id, warehouse_id, pool_state FROM sale_fulfilment_stock"
            " WHERE product_id = ANY(%s) ORDER BY 1, 2",
            [products.ids],
        )
        states = self.env.cr.fetchall()
        # Booked again, then rolled back: the test goes on from what was stored.
        self.env.cr.execute("SAVEPOINT as_a_full_booking")
        try:
            self.booking._rebook(products.ids)
            self.assertEqual(self._stored(products), stored)
            self.env.cr.execute(
                "SELECT product_id, warehouse_id, pool_state FROM sale_fulfilment_stock"
                " WHERE product_id = ANY(%s) ORDER BY 1, 2",
                [products.ids],
            )
            self._assert_same_states(states, self.env.cr.fetchall())
            self.booking._rebook(None)
            self.assertEqual(self._stored(products), stored)
        finally:
            self.env.cr.execute("ROLLBACK TO SAVEPOINT as_a_full_booking")
            self.env.invalidate_all()

    def _assert_same_states(self, kept, walked):
        """The states kept equal those a walk of every line leaves, except
        that a kept state may name a later line than the walk's last open
        one (a delivered line closed since): it only bounds where orders may
        go on from it."""

        def rank(state):
            return [("" if v is None else v) for v in (state or {}).get("rank") or []]

        self.assertEqual(len(kept), len(walked))
        for (*key, state), (*key_walked, state_walked) in zip(kept, walked):
            self.assertEqual(key, key_walked)
            if state is None or state_walked is None:
                self.assertEqual(state, state_walked, key)
                continue
            self.assertEqual(
                {k: v for k, v in state.items() if k != "rank"},
                {k: v for k, v in state_walked.items() if k != "rank"},
                key,
            )
            self.assertGreaterEqual(rank(state), rank(state_walked), key)

    def _confirm(self, lines):
        self.full.clear()
        order = self._order(lines)
        self._settle()
        return order

    def _booked_in_full(self, product):
        return any(ids is None or product.id in ids for ids in self.full)


@tagged("post_install", "-at_install")
class TestAppendedBooking(BookingStateCase):
    def test_orders_confirmed_last_book_from_what_the_lines_above_left(self):
        self._stock(self.chair, 5)
        soon = self._purchase(self.chair, 4, days=7)
        later = self._purchase(self.chair, 3, days=12)
        first = self._confirm([(self.chair, 3)])
        # Two chairs from stock, one from the first purchase.
        second = self._confirm([(self.chair, 3)])
        self.assertFalse(self._booked_in_full(self.chair))
        line = second.order_line
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(line.availability_date, soon.order_line.date_planned.date())
        self.assertIn(soon.name, line.availability_explanation)
        # Three from the first purchase, one from the second.
        third = self._confirm([(self.chair, 4)])
        self.assertFalse(self._booked_in_full(self.chair))
        self.assertEqual(third.order_line.availability_status, "expected")
        self.assertEqual(third.order_line.availability_date, later.order_line.date_planned.date())
        # Two left of the second purchase: three missing.
        fourth = self._confirm([(self.chair, 5)])
        self.assertFalse(self._booked_in_full(self.chair))
        self.assertEqual(fourth.order_line.availability_status, "not_available")
        self.assertEqual(fourth.order_line.missing_qty, 3)
        self.assertEqual(first.order_line.availability_status, "in_stock")
        figures = self.env["sale.fulfilment.stock"].search(
            [("product_id", "=", self.chair.id), ("warehouse_id", "=", self.warehouse.id)]
        )
        self.assertEqual(
            (figures.committed_qty, figures.calculated_stock_qty, figures.missing_qty),
            (15, -3, 3),
        )
        self._assert_as_a_full_booking(self.chair)

    def test_stock_counted_in_the_same_transaction_books_in_full(self):
        self._confirm([(self.chair, 3)])
        self.full.clear()
        order = self._order([(self.chair, 2)])
        self._stock(self.chair, 2)
        self._settle()
        self.assertTrue(self._booked_in_full(self.chair))
        self.assertEqual(order.order_line.availability_status, "not_available")
        self.assertEqual(order.order_line.missing_qty, 2)
        # Two more: the first order is served, the second still waits.
        self.full.clear()
        self._stock(self.chair, 3)
        self._settle()
        self.assertTrue(self._booked_in_full(self.chair))
        self.assertEqual(order.order_line.availability_status, "in_stock")
        self._assert_as_a_full_booking(self.chair)

    def test_reserving_a_delivery_books_nothing_again(self):
        first = self._confirm([(self.chair, 3)])
        self._stock(self.chair, 3)
        self._settle()
        self.full.clear()
        first.picking_ids.action_assign()
        self._settle()
        self.assertEqual(first.picking_ids.state, "assigned")
        self.assertFalse(self._booked_in_full(self.chair))
        self.assertEqual(first.order_line.availability_status, "in_stock")
        self._assert_as_a_full_booking(self.chair)

    def test_an_internal_transfer_reserving_stock_books_in_full(self):
        self._stock(self.chair, 4)
        order = self._confirm([(self.chair, 3)])
        self.assertEqual(order.order_line.availability_status, "in_stock")
        order.picking_ids.do_unreserve()
        self._settle()
        shelf = self.env["stock.location"].create(
            {"name": "Showroom shelf", "location_id": self.stock_location.id}
        )
        transfer = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.int_type_id.id,
                "location_id": self.stock_location.id,
                "location_dest_id": shelf.id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Chairs to the showroom",
                            "product_id": self.chair.id,
                            "product_uom_qty": 2,
                            "product_uom": self.chair.uom_id.id,
                            "location_id": self.stock_location.id,
                            "location_dest_id": shelf.id,
                        },
                    )
                ],
            }
        )
        transfer.action_confirm()
        transfer.action_assign()
        self.full.clear()
        self._settle()
        # Two of four held for the showroom: the order's three are short of one.
        self.assertTrue(self._booked_in_full(self.chair))
        self.assertEqual(order.order_line.availability_status, "not_available")
        self.assertEqual(order.order_line.missing_qty, 1)
        self._assert_as_a_full_booking(self.chair)

    def test_an_order_edited_after_its_confirmation_in_the_same_transaction(self):
        self._stock(self.chair, 4)
        self._confirm([(self.chair, 1)])
        self.full.clear()
        order = self._order([(self.chair, 2)])
        order.order_line.product_uom_qty = 5
        self._settle()
        self.assertFalse(self._booked_in_full(self.chair))
        self.assertEqual(order.order_line.availability_status, "not_available")
        self.assertEqual(order.order_line.missing_qty, 2)
        self._assert_as_a_full_booking(self.chair)

    def test_an_order_dragged_first_in_the_same_transaction_books_in_full(self):
        self._stock(self.chair, 3)
        first = self._confirm([(self.chair, 3)])
        self.full.clear()
        urgent = self._order([(self.chair, 3)])
        (urgent | first)._set_ranks()
        self._settle()
        self.assertTrue(self._booked_in_full(self.chair))
        self.assertEqual(urgent.order_line.availability_status, "in_stock")
        self.assertEqual(first.order_line.availability_status, "not_available")
        self._assert_as_a_full_booking(self.chair)

    def test_after_a_full_rebuild_the_next_confirmation_books_in_full_once(self):
        self._stock(self.chair, 2)
        self._confirm([(self.chair, 1)])
        self.booking._rebook(None)
        self.env.cr.execute(
            "SELECT COUNT(*) FROM sale_fulfilment_stock WHERE pool_state IS NOT NULL"
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0, "a full rebuild keeps no state")
        second = self._confirm([(self.chair, 1)])
        self.assertTrue(self._booked_in_full(self.chair))
        third = self._confirm([(self.chair, 1)])
        self.assertFalse(self._booked_in_full(self.chair))
        self.assertEqual(second.order_line.availability_status, "in_stock")
        self.assertEqual(third.order_line.availability_status, "not_available")
        self._assert_as_a_full_booking(self.chair)

    def test_lines_in_dozens_book_in_units(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        self._stock(self.chair, 20)
        self._confirm([(self.chair, 6)])
        order = self._order([(self.chair, 1)], confirm=False)
        order.order_line.product_uom = dozen
        order.action_confirm()
        self._settle()
        # 14 chairs left for a dozen.
        self.assertEqual(order.order_line.availability_status, "in_stock")
        late = self._confirm([(self.chair, 3)])
        self.assertFalse(self._booked_in_full(self.chair))
        self.assertEqual(late.order_line.availability_status, "not_available")
        self.assertEqual(late.order_line.missing_qty, 1)
        self._assert_as_a_full_booking(self.chair)

    def test_a_warehouse_manager_ships_an_order_he_may_not_read(self):
        """An order confirmed in this transaction, shipped in the same
        transaction by a warehouse manager who as a salesman sees only his own
        orders (Odoo's own sale_stock tests do so): marking his moves must not
        read the order."""
        picker = new_test_user(
            self.env,
            login="apb_picker",
            groups="base.group_user,stock.group_stock_manager,sales_team.group_sale_salesman",
        )
        seller = new_test_user(
            self.env, login="apb_seller", groups="sales_team.group_sale_salesman"
        )
        self._stock(self.chair, 3)
        self._settle()
        order = self._order([(self.chair, 3)], confirm=False)
        order.user_id = seller  # another salesman's order: the picker may not read it
        order.action_confirm()
        self.assertIn(order.id, self.env["sale.fulfilment.rebook"]._appended_orders())
        picking = order.picking_ids.with_user(picker)
        self.env.flush_all()
        self.env.invalidate_all()  # he reads what he may, not what the cache holds
        picking.move_ids.write({"quantity": 3, "picked": True})
        picking.button_validate()
        self._settle()
        self.assertEqual(order.order_line.qty_delivered, 3)
        self.assertEqual(order.order_line.availability_status, "delivered")
        self._assert_as_a_full_booking(self.chair)

    # ------------------------------------------------------------------
    # Deliveries validated
    # ------------------------------------------------------------------
    def _figures(self, product, warehouse=None):
        return self.env["sale.fulfilment.stock"].search(
            [
                ("product_id", "=", product.id),
                ("warehouse_id", "=", (warehouse or self.warehouse).id),
            ]
        )

    def test_a_delivery_of_what_a_line_booked_from_stock_books_nothing_else(self):
        self._stock(self.chair, 5)
        soon = self._purchase(self.chair, 4, days=7)
        first = self._confirm([(self.chair, 3)])
        # Two from stock, two from the purchase.
        second = self._confirm([(self.chair, 4)])
        # Two from the purchase, two missing.
        third = self._confirm([(self.chair, 4)])
        self.full.clear()
        self._deliver(first)
        self._settle()
        self.assertFalse(self._booked_in_full(self.chair))
        self.assertEqual(first.order_line.availability_status, "delivered")
        self.assertEqual(first.availability_status, "delivered")
        self.assertEqual(second.order_line.availability_status, "expected")
        self.assertEqual(second.order_line.availability_date, soon.order_line.date_planned.date())
        self.assertEqual(third.order_line.availability_status, "not_available")
        self.assertEqual(third.order_line.missing_qty, 2)
        figures = self._figures(self.chair)
        self.assertEqual(
            (figures.in_stock_qty, figures.committed_qty, figures.calculated_stock_qty), (2, 8, -2)
        )
        self._assert_as_a_full_booking(self.chair)
        # Orders confirmed next go on from the same state.
        fourth = self._confirm([(self.chair, 1)])
        self.assertFalse(self._booked_in_full(self.chair))
        self.assertEqual(fourth.order_line.availability_status, "not_available")
        self._assert_as_a_full_booking(self.chair)

    def test_part_of_a_line_shipped_with_a_backorder(self):
        self._stock(self.chair, 2)
        soon = self._purchase(self.chair, 4, days=7)
        first = self._confirm([(self.chair, 4)])
        late = self._confirm([(self.chair, 3)])
        self.assertEqual(first.order_line.availability_status, "expected")
        self.full.clear()
        # The two in stock leave; the rest waits in a backorder for the purchase.
        picking = self._deliver(first, qty=2)
        self._settle()
        self.assertTrue(picking.backorder_ids)
        self.assertFalse(self._booked_in_full(self.chair))
        line = first.order_line
        self.assertEqual(line.qty_delivered, 2)
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(line.availability_date, soon.order_line.date_planned.date())
        self.assertIn(soon.name, line.availability_explanation)
        self.assertEqual(late.order_line.availability_status, "not_available")
        self.assertEqual(late.order_line.missing_qty, 1)
        self._assert_as_a_full_booking(self.chair)

    def test_a_delivery_of_stock_booked_to_a_higher_rank_books_in_full(self):
        """The order dragged first was promised the stock the other still
        holds reserved; shipping it leaves the first with nothing."""
        self._stock(self.chair, 3)
        held = self._confirm([(self.chair, 3)])
        urgent = self._confirm([(self.chair, 3)])
        (urgent | held)._set_ranks()
        self._settle()
        self.assertEqual(urgent.order_line.availability_status, "in_stock")
        self.assertEqual(held.picking_ids.move_ids.quantity, 3)
        self.full.clear()
        self._deliver(held)
        self._settle()
        self.assertTrue(self._booked_in_full(self.chair))
        self.assertEqual(held.order_line.availability_status, "delivered")
        self.assertEqual(urgent.order_line.availability_status, "not_available")
        self.assertEqual(urgent.order_line.missing_qty, 3)
        self._assert_as_a_full_booking(self.chair)

    def test_more_delivered_than_ordered_books_in_full(self):
        self._stock(self.chair, 6)
        first = self._confirm([(self.chair, 3)])
        second = self._confirm([(self.chair, 2)])
        self.full.clear()
        self._deliver(first, qty=5)
        self._settle()
        self.assertTrue(self._booked_in_full(self.chair))
        self.assertEqual(first.order_line.qty_delivered, 5)
        # One chair left for the second's two.
        self.assertEqual(second.order_line.availability_status, "not_available")
        self.assertEqual(second.order_line.missing_qty, 1)
        self._assert_as_a_full_booking(self.chair)

    def test_a_delivery_and_a_confirmation_in_one_transaction(self):
        self._stock(self.chair, 4)
        first = self._confirm([(self.chair, 3)])
        self.full.clear()
        self._deliver(first)
        late = self._order([(self.chair, 2)])
        self._settle()
        self.assertFalse(self._booked_in_full(self.chair))
        self.assertEqual(late.order_line.availability_status, "not_available")
        self.assertEqual(late.order_line.missing_qty, 1)
        self.assertEqual(self._figures(self.chair).in_stock_qty, 1)
        self._assert_as_a_full_booking(self.chair)

    def test_the_pick_then_the_shipment_of_a_two_step_delivery(self):
        self.warehouse.delivery_steps = "pick_ship"
        self._stock(self.chair, 4)
        first = self._confirm([(self.chair, 3)])
        late = self._confirm([(self.chair, 3)])
        for step in ("pick", "ship"):
            self.full.clear()
            picking = first.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
            self.assertEqual(len(picking), 1, step)
            picking.action_assign()
            for move in picking.move_ids:
                move.quantity = move.product_uom_qty
                move.picked = True
            picking.with_context(skip_backorder=True).button_validate()
            self._settle()
            self.assertEqual(picking.state, "done")
            self.assertFalse(self._booked_in_full(self.chair), step)
            self._assert_as_a_full_booking(self.chair)
        self.assertEqual(first.order_line.availability_status, "delivered")
        self.assertEqual(late.order_line.availability_status, "not_available")
        self.assertEqual(late.order_line.missing_qty, 2)
        self.assertEqual(self._figures(self.chair).in_stock_qty, 1)

    def test_a_delivery_in_dozens(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        self._stock(self.chair, 30)
        order = self._order([(self.chair, 2)], confirm=False)
        order.order_line.product_uom = dozen
        order.action_confirm()
        self._settle()
        late = self._confirm([(self.chair, 10)])
        self.assertEqual(late.order_line.availability_status, "not_available")
        self.full.clear()
        # One dozen of the two leaves (Odoo moves them in units).
        self.assertEqual(order.picking_ids.move_ids.product_uom, self.chair.uom_id)
        self._deliver(order, qty=12)
        self._settle()
        self.assertFalse(self._booked_in_full(self.chair))
        self.assertEqual(order.order_line.availability_status, "in_stock")
        self.assertEqual(late.order_line.missing_qty, 4)
        self.assertEqual(self._figures(self.chair).committed_qty, 22)
        self._assert_as_a_full_booking(self.chair)

    def test_a_delivery_that_rounds_to_nothing_in_the_lines_unit(self):
        """Three chairs of a line sold in packs of ten, counted to the pack:
        Odoo's delivered quantity rounds to 0 packs, yet the line needs three
        chairs less; the booking counts them from the moves."""
        pack = self.env["uom.uom"].create(
            {
                "name": "Pack of 10 (whole packs)",
                "category_id": self.chair.uom_id.category_id.id,
                "uom_type": "bigger",
                "factor_inv": 10,
                "rounding": 1,
            }
        )
        self._stock(self.chair, 30)
        order = self._order([(self.chair, 2)], confirm=False)
        order.order_line.product_uom = pack
        order.action_confirm()
        self._settle()
        self._deliver(order, qty=3)
        self._settle()
        self.assertEqual(order.order_line.qty_delivered, 0)
        late = self._confirm([(self.chair, 12)])
        # 27 chairs left, 17 of them for the packs: 10 for the later order.
        self.assertEqual(late.order_line.missing_qty, 2)
        self.assertEqual(self._figures(self.chair).committed_qty, 29)
        self._assert_as_a_full_booking(self.chair)


@tagged("post_install", "-at_install")
class TestReorderedBooking(BookingStateCase):
    """A drag that only moves lines that got nothing, among lines that got
    nothing, changes no booking: it reads those lines, not every line."""

    def _drag(self, orders):
        self.full.clear()
        orders._set_ranks()
        self._settle()

    def _backlog(self):
        """Two chairs in stock and one expected: a first order takes them,
        three more wait, Not available."""
        self._stock(self.chair, 2)
        self.po = self._purchase(self.chair, 1, days=5)
        served = self._confirm([(self.chair, 3)])
        waiting = [self._confirm([(self.chair, 2), (self.table, 1)]) for _i in range(3)]
        self.assertEqual(served.order_line.availability_status, "expected")
        return served, waiting

    def test_a_drag_within_a_backlog_books_nothing_again(self):
        served, (one, two, three) = self._backlog()
        self._drag(three | one | two)
        self.assertFalse(self._booked_in_full(self.chair))
        # The table has no stock at all: no booking of it either.
        self.assertFalse(self._booked_in_full(self.table))
        self.assertEqual(served.order_line.availability_status, "expected")
        for order in (one, two, three):
            line = order.order_line.filtered(lambda sol: sol.product_id == self.chair)
            self.assertEqual(line.availability_status, "not_available")
            self.assertEqual(line.missing_qty, 2)
        self._assert_as_a_full_booking(self.chair | self.table)

    def test_a_drag_among_lines_all_in_stock_books_nothing_again(self):
        """The top of the list: every line of the span got all it needs from
        stock, which covers them in any order and leaves the lines after them
        what it left; a delivered order among them takes nothing."""
        self._stock(self.chair, 9)
        delivered = self._confirm([(self.chair, 1)])
        self._deliver(delivered)
        one, two, three = (self._confirm([(self.chair, 2)]) for _i in range(3))
        short = self._confirm([(self.chair, 4)])
        self.assertEqual(delivered.order_line.availability_status, "delivered")
        self._drag(three | delivered | one | two)
        self.assertFalse(self._booked_in_full(self.chair))
        for order in (one, two, three):
            self.assertEqual(order.order_line.availability_status, "in_stock")
        self.assertEqual(short.order_line.availability_status, "not_available")
        self.assertEqual(short.order_line.missing_qty, 2)
        self._assert_as_a_full_booking(self.chair)

    def test_a_drag_of_a_short_line_to_the_top_books_in_full(self):
        """A line that got part of its need dropped above lines all In stock
        takes their stock: booked in full."""
        self._stock(self.chair, 5)
        one, two = (self._confirm([(self.chair, 2)]) for _i in range(2))
        short = self._confirm([(self.chair, 3)])
        self._drag(short | one | two)
        self.assertTrue(self._booked_in_full(self.chair))
        self.assertEqual(short.order_line.availability_status, "in_stock")
        self.assertEqual(two.order_line.missing_qty, 2)
        self._assert_as_a_full_booking(self.chair)

    def test_a_drag_above_a_served_line_books_in_full(self):
        served, (one, two, three) = self._backlog()
        self._drag(three | served | one | two)
        self.assertTrue(self._booked_in_full(self.chair))
        chair = three.order_line.filtered(lambda sol: sol.product_id == self.chair)
        self.assertEqual(chair.availability_status, "in_stock")
        self.assertEqual(served.order_line.availability_status, "not_available")
        self.assertEqual(served.order_line.missing_qty, 2)
        self._assert_as_a_full_booking(self.chair | self.table)

    def test_a_drag_across_a_served_line_reads_the_lines_once(self):
        """The line stored In stock or Expected in the span sends the product
        to the full booking at once: the backlog check would read every line
        of the span only to find it so, at every drag of a long list."""
        served, (one, two, three) = self._backlog()
        reads = []
        booking = type(self.booking)
        original = booking._fetch_sale_demands

        def spy(model, product_filter, *args, **kwargs):
            reads.append(kwargs.get("order_ids"))
            return original(model, product_filter, *args, **kwargs)

        self.patch(booking, "_fetch_sale_demands", spy)
        self._drag(three | served | one | two)
        self.assertTrue(self._booked_in_full(self.chair))
        # The chairs' lines are read once, every one of them, by the full
        # booking; only the table's (no stock, none served) are checked.
        checked = {oid for order_ids in reads if order_ids for oid in order_ids}
        self.assertEqual(checked, set((one | two | three).ids))
        self.assertEqual(reads.count(None), 1)
        chair = three.order_line.filtered(lambda sol: sol.product_id == self.chair)
        self.assertEqual(chair.availability_status, "in_stock")
        self._assert_as_a_full_booking(self.chair | self.table)

    def test_a_drag_and_a_receipt_in_one_transaction_book_in_full(self):
        served, (one, two, three) = self._backlog()
        self.full.clear()
        (three | one | two)._set_ranks()
        self._stock(self.chair, 4)
        self._settle()
        self.assertTrue(self._booked_in_full(self.chair))
        # Six in stock: three for the first order, two for the third, now
        # the first waiting one.
        self.assertEqual(served.order_line.availability_status, "in_stock")
        chair = three.order_line.filtered(lambda sol: sol.product_id == self.chair)
        self.assertEqual(chair.availability_status, "in_stock")
        self._assert_as_a_full_booking(self.chair | self.table)

    def test_stock_counted_since_the_last_booking_books_in_full(self):
        """The stored statuses count only while the pools are what they were
        booked from: a count written without the booking (an import that
        skipped it) is seen, and the drag books in full."""
        _served, (one, two, three) = self._backlog()
        quant = self.env["stock.quant"].search(
            [("product_id", "=", self.chair.id), ("location_id", "=", self.stock_location.id)]
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE stock_quant SET quantity = quantity + 4 WHERE id = %s", [quant[:1].id]
        )
        self.env.invalidate_all()
        self._drag(three | one | two)
        self.assertTrue(self._booked_in_full(self.chair))
        chair = three.order_line.filtered(lambda sol: sol.product_id == self.chair)
        self.assertEqual(chair.availability_status, "in_stock")
        self._assert_as_a_full_booking(self.chair | self.table)

    def test_a_drag_above_a_line_short_of_stock_books_in_full(self):
        """A line that got part of what it needs from stock is Not available
        too: a drag above it moves that part, and books in full."""
        self._stock(self.chair, 1)
        short = self._confirm([(self.chair, 2)])
        later = self._confirm([(self.chair, 1)])
        self.assertEqual(short.order_line.missing_qty, 1)
        self._drag(later | short)
        self.assertTrue(self._booked_in_full(self.chair))
        self.assertEqual(later.order_line.availability_status, "in_stock")
        self.assertEqual(short.order_line.missing_qty, 2)
        self._assert_as_a_full_booking(self.chair)
