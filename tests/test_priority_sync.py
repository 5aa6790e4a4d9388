from odoo.tests import tagged

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestPrioritySync(FulfilmentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Production = cls.env["mrp.production"]
        cls.Sync = type(cls.env["sale.fulfilment.priority"])

    def _mto(self, order, qty=1):
        line = order.order_line if qty is None else order.order_line[0]
        return line._fulfil("make_to_order")

    def _schedule(self, productions):
        return productions.sorted("schedule_priority")

    def test_dragging_orders_reorders_their_mos_among_their_positions(self):
        a, b, c = (self._order([(self.table, 1)]) for _i in range(3))
        mo_a = self._mto(a)
        batch = self._production(self.table, 5, fulfilment_mode="make_in_batch")
        mo_b = self._mto(b)
        mo_c = self._mto(c)
        batch_rank = batch.schedule_priority
        positions = sorted((mo_a | mo_b | mo_c).mapped("schedule_priority"))
        self.assertEqual(self._schedule(mo_a | mo_b | mo_c), mo_a | mo_b | mo_c)
        (c | a | b)._set_ranks()  # drag c to the top
        self.assertEqual(self._schedule(mo_a | mo_b | mo_c), mo_c | mo_a | mo_b)
        self.assertEqual(sorted((mo_a | mo_b | mo_c).mapped("schedule_priority")), positions)
        self.assertEqual(batch.schedule_priority, batch_rank)

    def test_many_orders_reordered_by_a_script(self):
        orders = [self._order([(self.table, 1)]) for _i in range(5)]
        mos = [self._mto(order) for order in orders]
        ranks = [o.fulfilment_priority for o in orders]
        for order, rank in zip(orders, reversed(ranks)):
            order.fulfilment_priority = rank
        expected = self.Production.concat(*reversed(mos))
        self.assertEqual(self._schedule(expected), expected)

    def test_dragging_a_make_to_order_mo_moves_its_order(self):
        a, b, c = (self._order([(self.table, 1)]) for _i in range(3))
        plain = self._order([(self.chair, 1)])  # no make-to-order MO: never moves
        mo_a, mo_b, mo_c = self._mto(a), self._mto(b), self._mto(c)
        plain_rank = plain.fulfilment_priority
        (mo_c | mo_a | mo_b)._set_ranks()
        self.assertEqual((a | b | c).sorted("fulfilment_priority"), c | a | b)
        self.assertEqual(plain.fulfilment_priority, plain_rank)
        self.assertEqual(self._schedule(mo_a | mo_b | mo_c), mo_c | mo_a | mo_b)

    def test_an_order_keeps_its_mos_together_in_line_order(self):
        a = self._order([(self.table, 1), (self.table, 2)])
        b = self._order([(self.table, 1)])
        mo_a1 = a.order_line[0]._fulfil("make_to_order")
        mo_b = self._mto(b)
        mo_a2 = a.order_line[1]._fulfil("make_to_order")
        # Creating a2 already pulled it up next to a1.
        self.assertEqual(self._schedule(mo_a1 | mo_a2 | mo_b), mo_a1 | mo_a2 | mo_b)
        (mo_b | mo_a1 | mo_a2)._set_ranks()  # b's MO dragged to the top
        self.assertEqual((a | b).sorted("fulfilment_priority"), b | a)
        self.assertEqual(self._schedule(mo_a1 | mo_a2 | mo_b), mo_b | mo_a1 | mo_a2)
        # Dragging b's MO between a's two MOs cannot split a: the lists stay as they were.
        (mo_b | mo_a1)._set_ranks()
        self.assertEqual((a | b).sorted("fulfilment_priority"), b | a)
        self.assertEqual(self._schedule(mo_a1 | mo_a2 | mo_b), mo_b | mo_a1 | mo_a2)

    def test_done_and_cancelled_mos_are_left_alone(self):
        a, b, c = (self._order([(self.table, 1)]) for _i in range(3))
        mo_a, mo_b, mo_c = self._mto(a), self._mto(b), self._mto(c)
        mo_b.action_cancel()
        cancelled_rank = mo_b.schedule_priority
        (c | b | a)._set_ranks()
        self.assertEqual(mo_b.schedule_priority, cancelled_rank)
        self.assertEqual(self._schedule(mo_a | mo_c), mo_c | mo_a)

    def test_no_echo_one_reorder_on_the_other_side(self):
        a, b = self._order([(self.table, 1)]), self._order([(self.table, 1)])
        mo_a, mo_b = self._mto(a), self._mto(b)
        calls = []
        for name in ("_sync_productions_to_orders", "_sync_orders_to_productions"):
            original = getattr(self.Sync, name)

            def spy(model, _name=name, _original=original):
                calls.append(_name)
                return _original(model)

            self.patch(self.Sync, name, spy)
        (b | a)._set_ranks()
        self.assertEqual(calls, ["_sync_productions_to_orders"])
        calls.clear()
        (mo_a | mo_b)._set_ranks()
        self.assertEqual(calls, ["_sync_orders_to_productions", "_sync_productions_to_orders"])
        self.assertEqual((a | b).sorted("fulfilment_priority"), a | b)

    def test_availability_follows_a_drag_of_mos(self):
        self._stock(self.leg, 4)
        self._stock(self.top, 1)
        a, b = self._order([(self.table, 1)]), self._order([(self.table, 1)])
        mo_a, mo_b = self._mto(a), self._mto(b)
        self._settle()
        self.assertEqual(mo_a.ingredient_availability, "in_stock")
        self.assertEqual(mo_b.ingredient_availability, "not_available")
        (mo_b | mo_a)._set_ranks()
        self._settle()
        self.assertEqual(mo_b.ingredient_availability, "in_stock")
        self.assertEqual(mo_a.ingredient_availability, "not_available")
        self.assertEqual((a | b).sorted("fulfilment_priority"), b | a)

    def test_drag_costs_constant_queries_whatever_the_number_of_orders(self):
        def drag_top(count):
            orders = [self._order([(self.table, 1)]) for _i in range(count)]
            for order in orders:
                self._mto(order)
            self._settle()
            last = orders[-1]
            # Read before counting: reading each order's lines costs a query per order.
            lines = self.env["sale.order.line"].concat(*(o.order_line for o in orders))
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            with self.assertQueryCount(__system__=40):
                last.browse([last.id] + [o.id for o in orders[:-1]])._set_ranks()
                self._settle()
            first_mo = self.Production.search(
                [("sale_line_id", "in", lines.ids)], order="schedule_priority", limit=1
            )
            self.assertEqual(first_mo.sale_line_id.order_id, last)
            return self.cr.sql_log_count - before

        self.assertEqual(drag_top(3), drag_top(15))

    # ------------------------------------------------------------------
    # Odoo's reservations follow the ranks
    # ------------------------------------------------------------------
    def test_scheduler_reserves_deliveries_in_rank_order(self):
        first = self._order([(self.chair, 3)])
        urgent = self._order([(self.chair, 3)])
        (urgent | first)._set_ranks()
        self._stock(self.chair, 3)
        self.env["procurement.group"].run_scheduler()
        self.assertEqual(urgent.picking_ids.move_ids.quantity, 3)
        self.assertEqual(first.picking_ids.move_ids.quantity, 0)

    def test_check_availability_takes_from_a_lower_ranked_delivery(self):
        self._stock(self.chair, 3)
        first = self._order([(self.chair, 3)])
        urgent = self._order([(self.chair, 3)])
        self.assertEqual(first.picking_ids.move_ids.quantity, 3)  # Odoo: first come
        (urgent | first)._set_ranks()
        urgent.picking_ids.action_assign()
        self.assertEqual(urgent.picking_ids.move_ids.quantity, 3)
        self.assertEqual(first.picking_ids.move_ids.quantity, 0)

    def test_picked_quantities_are_never_taken_back(self):
        self._stock(self.chair, 3)
        first = self._order([(self.chair, 3)])
        urgent = self._order([(self.chair, 3)])
        first.picking_ids.move_ids.picked = True
        (urgent | first)._set_ranks()
        urgent.picking_ids.action_assign()
        self.assertEqual(first.picking_ids.move_ids.quantity, 3)
        self.assertEqual(urgent.picking_ids.move_ids.quantity, 0)

    def test_priority_star_stays_meaningful(self):
        first = self._order([(self.chair, 3)])
        urgent = self._order([(self.chair, 3)])
        (urgent | first)._set_ranks()
        first.picking_ids.priority = "1"
        self._stock(self.chair, 3)
        (urgent.picking_ids | first.picking_ids).move_ids._action_assign()
        self.assertEqual(first.picking_ids.move_ids.quantity, 3)

    def test_components_are_reserved_in_schedule_order(self):
        mo1 = self._production(self.table, 1)
        mo2 = self._production(self.table, 1)
        (mo2 | mo1)._set_ranks()
        self._stock(self.leg, 4)
        self._stock(self.top, 1)
        (mo1 | mo2).move_raw_ids._action_assign()
        self.assertEqual(sum(mo2.move_raw_ids.mapped("quantity")), 5)
        self.assertEqual(sum(mo1.move_raw_ids.mapped("quantity")), 0)

    def test_reserve_in_rank_order_from_the_sales_priority_list(self):
        self._stock(self.chair, 3)
        first = self._order([(self.chair, 3)])
        urgent = self._order([(self.chair, 3)])
        (urgent | first)._set_ranks()
        self.assertEqual(first.picking_ids.move_ids.quantity, 3)
        action = (first | urgent).action_reserve_in_rank_order()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(urgent.picking_ids.move_ids.quantity, 3)
        self.assertEqual(first.picking_ids.move_ids.quantity, 0)
