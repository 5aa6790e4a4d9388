from types import SimpleNamespace
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError
from odoo.service.model import MAX_TRIES_ON_CONCURRENCY_FAILURE
from odoo.tests import new_test_user, tagged

from ..models.sale_order import TRY_SEEN_KEY
from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestReservationFollowsRanks(FulfilmentCase):
    """What the warehouse holds reserved agrees with what the badges promise."""

    def _reserved(self, order):
        """Reserved on the order's first delivery step, in the product's unit."""
        moves = order.order_line.move_ids.filtered(lambda m: not m.move_orig_ids)
        return sum(m.product_uom._compute_quantity(m.quantity, m.product_id.uom_id) for m in moves)

    def _picking(self, order):
        return order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))

    def test_only_odoos_last_try_of_a_request_puts_a_colliding_reservation_off(self):
        """Odoo retries a request that collided, up to five times: the fifth
        is the last, counted once per try however often the request confirms;
        outside a request (the scheduler, a shell) there is no retry to count."""
        order = self._order([(self.chair, 1)], confirm=False)
        self.assertFalse(order._fulfilment_last_try())
        fake_request = SimpleNamespace()
        last = []
        with patch("odoo.addons.sale_fulfilment.models.sale_order.request", fake_request):
            for _try in range(MAX_TRIES_ON_CONCURRENCY_FAILURE):
                # What the rollback of a try does to the precommit data.
                self.env.cr.precommit.data.pop(TRY_SEEN_KEY, None)
                order._fulfilment_last_try()
                last.append(order._fulfilment_last_try())
        self.assertEqual(last, [False] * (MAX_TRIES_ON_CONCURRENCY_FAILURE - 1) + [True])

    def test_confirmation_reserves_with_the_final_rank(self):
        """A quotation written before a confirmed order is confirmed after it:
        it goes to the bottom, and reserves only what the order above leaves."""
        self._stock(self.chair, 6)
        quotation = self._order([(self.chair, 4)], confirm=False)
        first = self._order([(self.chair, 4)])
        quotation.action_confirm()
        self._settle()
        self.assertLess(first.fulfilment_priority, quotation.fulfilment_priority)
        self.assertEqual(first.availability_status, "in_stock")
        self.assertEqual(self._reserved(first), 4)
        self.assertEqual(quotation.availability_status, "not_available")
        self.assertEqual(self._reserved(quotation), 2)

    def test_the_moves_asked_for_are_left_for_odoo_to_write_once(self):
        """Looking up the other moves waiting for a product writes the other
        moves' pending changes first, never those of the moves asked for
        (the lookup leaves them out): Odoo writes those with what it sets
        next, in one statement rather than two."""
        self._stock(self.chair, 10)
        asked = self._order([(self.chair, 1)]).order_line.move_ids
        other = self._order([(self.chair, 1)]).order_line.move_ids
        self.env.flush_all()
        asked.write({"priority": "1"})
        asked._fulfilment_flush_ranked()
        self.assertTrue(self.env.cache.has_dirty_fields(asked))
        other.write({"priority": "1"})
        asked._fulfilment_flush_ranked()
        self.assertFalse(self.env.cache.has_dirty_fields(other))

    def test_stock_on_a_shelf_below_the_stock_location_serves_higher_ranks_first(self):
        """Whether there is free stock to hand out in rank order is looked up
        below the delivery's source location too."""
        shelf = self.env["stock.location"].create(
            {"name": "Shelf 1", "location_id": self.stock_location.id}
        )
        first = self._order([(self.chair, 2)])
        self._stock(self.chair, 2, shelf)
        second = self._order([(self.chair, 2)])
        self.assertEqual(self._reserved(first), 2)
        self.assertEqual(self._reserved(second), 0)

    def test_free_stock_is_served_to_the_first_waiting_orders_only(self):
        """A backlog waits; two chairs come in. The next confirmation asks
        Odoo to reserve for the first waiting order, which the two chairs
        serve, not for the whole backlog."""
        waiting = [self._order([(self.chair, 2)]) for _i in range(3)]
        self._stock(self.chair, 2)
        last = self._order([(self.chair, 2)], confirm=False)
        last.action_confirm()
        self.assertEqual([self._reserved(o) for o in [*waiting, last]], [2, 0, 0, 0])
        # Two more: the second waiting order takes them; the third needs not be asked.
        self._stock(self.chair, 2)
        ahead = self._picking(last).move_ids._fulfilment_ranked_ahead()
        self.assertEqual(ahead, self._picking(waiting[1]).move_ids)

    def test_nobody_waiting_is_told_in_one_query(self):
        """While stock lasts, a confirmation has nobody ahead of it to serve
        first: one query says so (free stock, and whether anyone waits)."""
        order = self._order([(self.chair, 2)])  # no stock: it waits
        self._stock(self.chair, 5)
        moves = self._picking(order).move_ids
        self.env.flush_all()
        with self.assertQueryCount(__system__=1):
            self.assertFalse(moves._fulfilment_ranked_ahead())
        # Another order waiting ahead of a later one: it is served first.
        later = self._order([(self.chair, 2)], confirm=False)
        later.action_confirm()
        self.assertEqual(self._reserved(later), 2)  # 5 free: enough for both
        order.picking_ids.do_unreserve()
        later.picking_ids.do_unreserve()
        self.assertEqual(self._picking(later).move_ids._fulfilment_ranked_ahead(), moves)

    def test_negative_quants_beside_positive_ones_leave_nothing_free(self):
        """Odoo leaves a negative quant beside a positive one when two
        reservations met on the same quant: together they hold nothing."""
        self._stock(self.chair, 4)
        self.env["stock.quant"].sudo().create(
            {"product_id": self.chair.id, "location_id": self.stock_location.id, "quantity": -4}
        )
        quants = self.env["stock.quant"].search(
            [("product_id", "=", self.chair.id), ("location_id", "=", self.stock_location.id)]
        )
        self.assertEqual(sorted(quants.mapped("quantity")), [-4, 4])
        self.assertEqual(
            self.env["stock.move"]._fulfilment_free_stock(
                {(self.chair.id, self.stock_location.id)}
            ),
            {},
        )
        self._stock(self.chair, 1)
        self.assertEqual(
            self.env["stock.move"]._fulfilment_free_stock(
                {(self.chair.id, self.stock_location.id)}
            ),
            {(self.chair.id, self.stock_location.id): 1.0},
        )

    def test_check_availability_leaves_what_higher_ranks_need(self):
        """Stock arrives; the lower-ranked order's user presses Check
        Availability first: it takes only what the order above leaves."""
        first = self._order([(self.chair, 4)])
        second = self._order([(self.chair, 4)])
        self._stock(self.chair, 5)
        self._picking(second).action_assign()
        self._settle()
        self.assertEqual(first.availability_status, "in_stock")
        self.assertEqual(self._reserved(first), 4)
        self.assertEqual(second.availability_status, "not_available")
        self.assertEqual(self._reserved(second), 1)

    def test_dragged_order_takes_reservations_at_check_availability(self):
        self._stock(self.chair, 4)
        first = self._order([(self.chair, 4)])
        second = self._order([(self.chair, 4)])
        self.assertEqual(self._reserved(first), 4)
        (second | first)._set_ranks()
        self._picking(second).action_assign()
        self._settle()
        self.assertEqual(second.availability_status, "in_stock")
        self.assertEqual(self._reserved(second), 4)
        self.assertEqual(self._reserved(first), 0)

    def test_quantity_increase_follows_ranks(self):
        self._stock(self.chair, 6)
        first = self._order([(self.chair, 4)])
        second = self._order([(self.chair, 2)])
        self.assertEqual((self._reserved(first), self._reserved(second)), (4, 2))
        first.order_line.product_uom_qty = 6
        self._settle()
        self.assertEqual(first.availability_status, "in_stock")
        self.assertEqual(self._reserved(first), 6)
        self.assertEqual(second.availability_status, "not_available")
        self.assertEqual(self._reserved(second), 0)

    def test_picked_moves_are_never_taken_away(self):
        self._stock(self.chair, 6)
        first = self._order([(self.chair, 4)])
        second = self._order([(self.chair, 2)])
        picked = second.order_line.move_ids
        picked.picked = True
        first.order_line.product_uom_qty = 6
        self._settle()
        self.assertEqual(self._reserved(second), 2, "the picker's chairs stay with him")
        self.assertEqual(self._reserved(first), 4)

    def test_lines_in_dozens_release_only_what_is_missing(self):
        """Quantities of a move in dozens are compared in units: the order in
        dozens misses 6 units, so only the lowest-ranked holder gives way."""
        dozen = self.env.ref("uom.product_uom_dozen")
        self._stock(self.chair, 18)
        middle = self._order([(self.chair, 6)])
        last = self._order([(self.chair, 6)])
        dozens = self._order([], confirm=False)
        dozens.order_line = [
            Command.create(
                {"product_id": self.chair.id, "product_uom_qty": 1, "product_uom": dozen.id}
            )
        ]
        dozens.action_confirm()
        self.assertEqual(self._reserved(dozens), 6)
        middle_lines = middle.order_line.move_ids.move_line_ids
        (dozens | middle | last)._set_ranks()
        self._picking(dozens).action_assign()
        self._settle()
        self.assertEqual(self._reserved(dozens), 12)
        self.assertEqual(self._reserved(middle), 6)
        self.assertEqual(self._reserved(last), 0)
        self.assertEqual(
            middle.order_line.move_ids.move_line_ids, middle_lines, "middle was never released"
        )
        self.assertEqual(dozens.order_line.missing_qty, 0)

    def test_own_documents_salesman_checks_availability_over_another_salesmans_order(self):
        """Rank comparisons never need to read the other salesman's order."""
        mine = new_test_user(
            self.env,
            login="own_docs_salesman",
            groups="sales_team.group_sale_salesman,stock.group_stock_user",
        )
        other = new_test_user(
            self.env, login="other_salesman", groups="sales_team.group_sale_salesman"
        )
        self._stock(self.chair, 4)
        theirs = self._order([(self.chair, 4)])
        theirs.user_id = other
        my_order = self._order([(self.chair, 4)])
        my_order.user_id = mine
        self.assertEqual(self._reserved(theirs), 4)
        (my_order | theirs)._set_ranks()
        self._picking(my_order).with_user(mine).action_assign()
        self._settle()
        self.assertEqual(self._reserved(my_order), 4)
        self.assertEqual(self._reserved(theirs), 0)

    def test_reserve_in_rank_order_needs_inventory_rights(self):
        salesman = new_test_user(
            self.env, login="plain_salesman", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(salesman).action_reserve_in_rank_order()
