from odoo import Command
from odoo.tests import tagged

from ..models import sale_order as sale_order_module
from ..models.sale_fulfilment_rebook import DIRTY_KEY
from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestRanks(FulfilmentCase):
    def test_confirmed_orders_go_to_the_bottom(self):
        first = self._order([(self.chair, 1)])
        second = self._order([(self.chair, 1)])
        quotation = self._order([(self.chair, 1)], confirm=False)
        self.assertLess(first.fulfilment_priority, second.fulfilment_priority)
        quotation.action_confirm()
        self.assertLess(second.fulfilment_priority, quotation.fulfilment_priority)
        top = max(self.env["sale.order"].search([]).mapped("fulfilment_priority"))
        self.assertEqual(quotation.fulfilment_priority, top)

    def test_a_confirmed_order_knows_its_rank_without_reading_it_again(self):
        """The reservation at confirmation compares ranks right after the
        order got its own: it is in memory, not fetched again with every
        column of the order."""
        quotation = self._order([(self.chair, 1)], confirm=False)
        self.env.flush_all()
        quotation._append_to_ranks()
        count = self.cr.sql_log_count
        rank = quotation.sudo().fulfilment_priority
        self.assertEqual(self.cr.sql_log_count, count, "the rank was read again")
        self.env.cr.execute(
            "SELECT fulfilment_priority FROM sale_order WHERE id = %s", [quotation.id]
        )
        self.assertEqual(rank, self.env.cr.fetchone()[0])
        top = max(self.env["sale.order"].search([]).mapped("fulfilment_priority"))
        self.assertEqual(rank, top)

    def test_drag_keeps_ranks_unique_and_touches_only_moved_rows(self):
        a, b, c, d = (self._order([(self.chair, 1)]) for _i in range(4))
        before = {o: o.fulfilment_priority for o in (a, b, c, d)}
        # The list sends the rows between the drag's start and end, in the new order.
        moved = (c | a | b)._set_ranks()
        self.assertEqual(
            [o.fulfilment_priority for o in (c, a, b)], sorted(before[o] for o in (a, b, c))
        )
        self.assertEqual(d.fulfilment_priority, before[d])
        self.assertEqual(moved, a | b | c)
        ordered = self.env["sale.order"].search(
            [("id", "in", (a | b | c | d).ids)], order="fulfilment_priority, id"
        )
        self.assertEqual(ordered, c | a | b | d)

    def test_drag_of_many_orders_costs_constant_queries(self):
        orders = self.env["sale.order"]
        for _i in range(30):
            orders |= self._order([(self.chair, 1)], confirm=False)
        orders.action_confirm()
        self.env.invalidate_all()
        few = orders[:3]
        # The ranks, then the re-booking of the orders' product (in a savepoint,
        # under try-locks, with its booking clock): the same for 3 or 30.
        with self.assertQueryCount(__system__=25):
            few.browse(list(reversed(few.ids)))._set_ranks()
        self.env.invalidate_all()
        with self.assertQueryCount(__system__=25):
            orders.browse(list(reversed(orders.ids)))._set_ranks()
        self.assertEqual(
            self.env["sale.order"].search([("id", "in", orders.ids)], order="fulfilment_priority"),
            orders.browse(list(reversed(orders.ids))),
        )

    def _marked_by(self, func):
        """The products a step marks for booking (not booked yet)."""
        self.env.flush_all()
        self.env.cr.flush()  # book what is pending, so only the step's marks remain
        func()
        return set(self.env.cr.precommit.data.get(DIRTY_KEY, ()))

    def test_drop_rebooks_only_the_products_whose_lines_changed_order(self):
        """A planner drops the last order of a page on top: the orders in
        between move down one place but keep their order among themselves;
        only the dropped order's product is booked again."""
        self._stock(self.chair, 1)
        first = self._order([(self.chair, 1)])
        tables = self._order([(self.table, 1)])
        stools = self._order([(self.leg, 2)])
        last = self._order([(self.chair, 1)])
        marked = self._marked_by(lambda: (last | first | tables | stools)._set_ranks())
        self.assertEqual(marked, {self.chair.id})
        self.env.cr.flush()
        self.env.invalidate_all()
        self.assertEqual(last.order_line.availability_status, "in_stock")
        self.assertEqual(first.order_line.availability_status, "not_available")

    def test_drop_across_orders_outside_the_page_rebooks_their_products_too(self):
        """The list sends its own page; the dropped order comes from further
        down, across an order that is not on the page. The page's order takes
        the dropped one's old rank, below that order: they share the table.
        The chair, on the dropped order alone, keeps its place."""
        on_page = self._order([(self.table, 1)])
        below = self._order([(self.leg, 1), (self.table, 1)])
        dropped = self._order([(self.leg, 1), (self.chair, 1)])
        self.assertTrue(below)
        marked = self._marked_by(lambda: (dropped | on_page)._set_ranks())
        self.assertEqual(marked, {self.leg.id, self.table.id})

    def test_a_drop_reads_only_the_lines_of_the_moved_orders_products(self):
        """An order dropped from far down a filtered list onto its top (the
        list holds the chairs' orders only): which lines changed places is
        read from the lines of the moved orders' products in between (and of
        kits), not from every line of the orders in between."""
        first = self._order([(self.chair, 1)])
        for _i in range(5):
            self._order([(self.table, 1), (self.leg, 2)])
        last = self._order([(self.chair, 1)])
        self.env.flush_all()
        self.env.cr.flush()
        read = []
        cursor = type(self.env.cr)
        execute = cursor.execute

        def spy(cr, query, *args, **kwargs):
            result = execute(cr, query, *args, **kwargs)
            if "pt.is_storable, a.status," in str(getattr(query, "code", query)):
                read.append(cr.rowcount)
            return result

        self.patch(cursor, "execute", spy)
        marked = self._marked_by(lambda: (last | first)._set_ranks())
        self.assertEqual(read, [2], "the chairs' two lines, not the tables' and legs'")
        self.assertEqual(marked, {self.chair.id})
        self.assertLess(last.fulfilment_priority, first.fulfilment_priority)

    def test_a_drop_over_few_or_many_ranks_finds_the_same_spans(self):
        """Over a few ranks the lines in between are read through their
        orders (the drop onto the top of a page), over many through the moved
        orders' products: the spans and the products to book in full are the
        same either way."""
        self._stock(self.chair, 1)
        held = self._order([(self.chair, 1), (self.table, 1)])
        on_page = self._order([(self.table, 1)])
        below = self._order([(self.leg, 1), (self.table, 1)])
        dropped = self._order([(self.leg, 1), (self.chair, 1)])
        self.env.flush_all()
        self.env.cr.flush()
        orders = dropped | held | on_page | below
        ranks = [o.fulfilment_priority for o in (held, on_page, below, dropped)]
        # The drop of the last order onto the top: each takes the next one's rank.
        new = dict(zip((dropped | held | on_page | below).ids, ranks))
        reordered = {o.id: (o.fulfilment_priority, new[o.id]) for o in orders}
        for order_id, rank in new.items():
            self.env.cr.execute(
                "UPDATE sale_order SET fulfilment_priority = %s WHERE id = %s", [rank, order_id]
            )
        orders.invalidate_recordset(["fulfilment_priority"])
        by_orders = orders._fulfilment_reordered_spans(reordered)
        self.patch(sale_order_module, "SPAN_BY_ORDERS", -1)
        by_products = orders._fulfilment_reordered_spans(reordered)
        self.assertEqual(by_orders, by_products)
        spans, in_full = by_orders
        self.assertEqual(spans[self.leg.id], {below.id, dropped.id})
        self.assertEqual(in_full, {self.chair.id}, "the chair held by the first order moves")
        self.assertNotIn(self.table.id, spans, "the tables keep their order")

    def test_a_kit_in_the_span_rebooks_every_product_of_the_moved_orders(self):
        kit = self._product("Chair and leg kit", sale_ok=True)
        self._kit_bom(kit, [(self.chair, 1), (self.leg, 1)])
        self._stock(self.chair, 1)
        self._stock(self.leg, 1)
        chairs = self._order([(self.chair, 1)])
        kits = self._order([(kit, 1)])
        marked = self._marked_by(lambda: (kits | chairs)._set_ranks())
        self.assertIn(kit.id, marked)
        self.env.cr.flush()
        self.env.invalidate_all()
        self.assertEqual(kits.order_line.availability_status, "in_stock")
        self.assertEqual(chairs.order_line.availability_status, "not_available")

    def test_ties_from_old_data_are_spread(self):
        a, b = self._order([(self.chair, 1)]), self._order([(self.chair, 1)])
        (a | b).write({"fulfilment_priority": 7})
        (b | a)._set_ranks()
        self.assertEqual((b.fulfilment_priority, a.fulfilment_priority), (7, 8))

    def test_new_manufacturing_orders_go_to_the_bottom(self):
        mo1 = self.env["mrp.production"].create({"product_id": self.table.id, "product_qty": 1})
        mo2 = self.env["mrp.production"].create({"product_id": self.table.id, "product_qty": 1})
        self.assertLess(mo1.schedule_priority, mo2.schedule_priority)
        (mo2 | mo1)._set_ranks()
        self.assertLess(mo2.schedule_priority, mo1.schedule_priority)

    def test_mo_made_for_another_mos_component_is_scheduled_just_before_it(self):
        """Odoo's make-to-order chain: confirming a desk's MO makes an MO for
        its top. The top's MO comes just before the desk's in the Schedule, and
        so gets the boards first: the desk cannot start before its top exists."""
        warehouse = self.warehouse
        warehouse.mto_pull_id.route_id.active = True
        board = self._product("Chain board")
        top = self._product("Chain top")
        desk = self._product("Chain desk")
        routes = warehouse.manufacture_pull_id.route_id | warehouse.mto_pull_id.route_id
        top.route_ids = [Command.set(routes.ids)]
        for product, parts in ((top, [board]), (desk, [top, board])):
            self.env["mrp.bom"].create(
                {
                    "product_tmpl_id": product.product_tmpl_id.id,
                    "product_qty": 1,
                    "bom_line_ids": [
                        Command.create({"product_id": part.id, "product_qty": 1}) for part in parts
                    ],
                }
            )
        self._stock(board, 1)
        desk_mo = self.env["mrp.production"].create({"product_id": desk.id, "product_qty": 1})
        desk_mo.action_confirm()
        top_mo = self.env["mrp.production"].search([("product_id", "=", top.id)])
        self.assertEqual(len(top_mo), 1)
        self.assertLess(top_mo.schedule_priority, desk_mo.schedule_priority)
        in_between = self.env["mrp.production"].search(
            [
                ("schedule_priority", ">", top_mo.schedule_priority),
                ("schedule_priority", "<", desk_mo.schedule_priority),
                ("state", "not in", ("done", "cancel")),
            ]
        )
        self.assertFalse(in_between)
        (desk_mo | top_mo).action_assign()
        self.assertEqual(top_mo.reservation_state, "assigned")
        board_of_desk = desk_mo.move_raw_ids.filtered(lambda m: m.product_id == board)
        self.assertEqual(board_of_desk.quantity, 0)
