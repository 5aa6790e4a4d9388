from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools.misc import format_date

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestAvailability(FulfilmentCase):
    def test_stock_then_receipt_then_missing_in_rank_order(self):
        self._stock(self.chair, 5)
        po = self._purchase(self.chair, 4, days=10)
        first = self._order([(self.chair, 3)])
        second = self._order([(self.chair, 4)])
        third = self._order([(self.chair, 5)])
        self._settle()
        line1, line2, line3 = first.order_line, second.order_line, third.order_line
        self.assertEqual(line1.availability_status, "in_stock")
        self.assertEqual(line2.availability_status, "expected")
        self.assertEqual(line2.availability_date, po.order_line.date_planned.date())
        self.assertEqual(line2.missing_qty, 0)
        self.assertEqual(line3.availability_status, "not_available")
        self.assertEqual(line3.missing_qty, 3)
        self.assertIn(po.name, line2.availability_explanation)
        self.assertIn("2", line2.availability_explanation)  # 2 from stock
        self.assertEqual(third.availability_status, "not_available")

    def test_dragging_an_order_to_the_top_rebooks_stock(self):
        self._stock(self.chair, 4)
        big_customer = self._order([(self.chair, 4)], partner=self.customer_b)
        small = self._order([(self.chair, 4)])
        self._settle()
        self.assertEqual(big_customer.order_line.availability_status, "in_stock")
        self.assertEqual(small.order_line.availability_status, "not_available")
        (small | big_customer)._set_ranks()
        self._settle()
        self.assertEqual(small.order_line.availability_status, "in_stock")
        self.assertEqual(big_customer.order_line.availability_status, "not_available")
        self.assertEqual(big_customer.order_line.missing_qty, 4)

    def test_manufacturing_order_is_expected_supply(self):
        mo = self._production(self.table, 2, days=5)
        order = self._order([(self.table, 2)])
        self._settle()
        line = order.order_line
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(line.availability_date, mo.date_finished.date())

    def test_drafts_are_not_expected(self):
        self._purchase(self.chair, 10, confirm=False)
        self._production(self.table, 2, confirm=False)
        order = self._order([(self.chair, 1), (self.table, 1)])
        self._settle()
        self.assertEqual(
            order.order_line.mapped("availability_status"), ["not_available", "not_available"]
        )

    def test_delivered_and_not_applicable(self):
        service = self.env["product.product"].create({"name": "Assembly", "type": "service"})
        consumable = self.env["product.product"].create({"name": "Glue", "type": "consu"})
        self._stock(self.chair, 2)
        order = self._order([(self.chair, 2), (service, 1), (consumable, 1)])
        quotation = self._order([(self.chair, 1)], confirm=False)
        self._settle()
        chair_line, service_line, glue_line = order.order_line
        self.assertEqual(chair_line.availability_status, "in_stock")
        self.assertEqual(service_line.availability_status, "not_applicable")
        self.assertEqual(glue_line.availability_status, "not_applicable")
        self.assertEqual(quotation.order_line.availability_status, "not_applicable")
        picking = order.picking_ids
        picking.move_ids.quantity = 2
        picking.move_ids.picked = True
        picking.button_validate()
        self._settle()
        self.assertEqual(chair_line.availability_status, "delivered")
        self.assertEqual(order.availability_status, "delivered")

    def test_cancelled_order_releases_its_booking(self):
        self._stock(self.chair, 2)
        first = self._order([(self.chair, 2)])
        second = self._order([(self.chair, 2)])
        self._settle()
        self.assertEqual(second.order_line.availability_status, "not_available")
        first._action_cancel()
        self._settle()
        self.assertEqual(first.order_line.availability_status, "not_applicable")
        self.assertEqual(second.order_line.availability_status, "in_stock")

    def test_quantity_change_rebooks(self):
        self._stock(self.chair, 3)
        order = self._order([(self.chair, 3)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "in_stock")
        order.order_line.product_uom_qty = 5
        self._settle()
        self.assertEqual(order.order_line.availability_status, "not_available")
        self.assertEqual(order.order_line.missing_qty, 2)

    def test_lines_in_another_unit_are_converted(self):
        self._stock(self.chair, 30)
        dozen = self.env.ref("uom.product_uom_dozen")
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.chair.id, "product_uom_qty": 3, "product_uom": dozen.id}
                    )
                ],
            }
        )
        order.action_confirm()
        self._settle()
        self.assertEqual(order.order_line.availability_status, "not_available")
        self.assertAlmostEqual(order.order_line.missing_qty, 6)  # 36 units wanted, 30 there

    def test_negative_on_hand_books_nothing(self):
        self._stock(self.chair, -5)
        self._purchase(self.chair, 2)
        order = self._order([(self.chair, 2)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "expected")
        self.assertEqual(self.chair.in_stock_qty, -5)

    def test_reservations_of_internal_transfers_leave_the_pool(self):
        self._stock(self.chair, 5)
        shelf = self.env["stock.location"].create(
            {
                "name": "Showroom",
                "usage": "internal",
                "location_id": self.warehouse.view_location_id.id,
            }
        )
        transfer = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.int_type_id.id,
                "location_id": self.stock_location.id,
                "location_dest_id": shelf.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": "to showroom",
                            "product_id": self.chair.id,
                            "product_uom_qty": 3,
                            "location_id": self.stock_location.id,
                            "location_dest_id": shelf.id,
                        }
                    )
                ],
            }
        )
        transfer.action_confirm()
        transfer.action_assign()
        order = self._order([(self.chair, 3)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "not_available")
        self.assertEqual(order.order_line.missing_qty, 1)

    def test_sales_reservations_do_not_decide(self):
        """Odoo reserves for the first confirmed delivery; the rank decides here."""
        self._stock(self.chair, 2)
        first = self._order([(self.chair, 2)])
        second = self._order([(self.chair, 2)])
        self.assertEqual(first.picking_ids.move_ids.quantity, 2)  # Odoo reserved it
        (second | first)._set_ranks()
        self._settle()
        self.assertEqual(second.order_line.availability_status, "in_stock")
        self.assertEqual(first.order_line.availability_status, "not_available")

    def test_make_to_order_line_is_outside_the_pool(self):
        self._stock(self.table, 1)
        urgent = self._order([(self.table, 1)])
        mto_order = self._order([(self.table, 2)])
        later = self._order([(self.table, 1)])
        mo = mto_order.order_line._fulfil("make_to_order")
        self._settle()
        self.assertEqual(urgent.order_line.availability_status, "in_stock")
        self.assertEqual(mto_order.order_line.availability_status, "expected")
        self.assertEqual(mto_order.order_line.availability_date, mo.date_finished.date())
        # The MO's output is promised: nothing left for the later order.
        self.assertEqual(later.order_line.availability_status, "not_available")
        # Figures still count both sides.
        self.assertEqual(self.table.expected_qty, 2)
        self.assertEqual(self.table.committed_qty, 4)

    def test_done_make_to_order_output_waits_for_its_line(self):
        self._stock(self.leg, 8)
        self._stock(self.top, 2)
        mto_order = self._order([(self.table, 2)])
        later = self._order([(self.table, 2)])
        mo = mto_order.order_line._fulfil("make_to_order")
        mo.qty_producing = 2
        mo.move_raw_ids.picked = True
        mo.button_mark_done()
        self.assertEqual(mo.state, "done")
        self._settle()
        self.assertEqual(mto_order.order_line.availability_status, "in_stock")
        self.assertEqual(later.order_line.availability_status, "not_available")

    def test_components_book_after_sales_lines_in_schedule_order(self):
        self._stock(self.leg, 8)
        self._stock(self.top, 5)
        mo1 = self._production(self.table, 1)
        mo2 = self._production(self.table, 1)
        self._order([(self.leg, 4)])  # a spare-part sale books legs before any MO
        self._settle()
        self.assertEqual(mo1.ingredient_availability, "in_stock")
        self.assertEqual(mo2.ingredient_availability, "not_available")
        (mo2 | mo1)._set_ranks()
        self._settle()
        self.assertEqual(mo2.ingredient_availability, "in_stock")
        self.assertEqual(mo1.ingredient_availability, "not_available")
        legs = mo1.move_raw_ids.filtered(lambda m: m.product_id == self.leg)
        self.assertEqual(legs.fulfilment_missing_qty, 4)

    def test_no_recipe(self):
        plank = self._product("Plank")
        mo = self._production(plank, 1, move_raw_ids=[], bom_id=False)
        self._settle()
        self.assertEqual(mo.ingredient_availability, "no_recipe")

    def test_product_figures_against_hand_worked_numbers(self):
        self._stock(self.leg, 40)
        self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.leg.id,
                "warehouse_id": self.warehouse.id,
                "location_id": self.stock_location.id,
                "product_min_qty": 8,
                "product_max_qty": 20,
            }
        )
        self._purchase(self.leg, 12)
        self._production(self.table, 3)  # consumes 12 legs
        self._order([(self.leg, 10)])
        self._production(self.table, 5, confirm=False)  # draft: commits nothing
        self._settle()
        leg = self.leg.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual(leg.in_stock_qty, 40)
        self.assertEqual(leg.expected_qty, 12)
        self.assertEqual(leg.committed_qty, 22)
        self.assertEqual(leg.safety_stock_qty, 8)
        self.assertEqual(leg.calculated_stock_qty, 40 + 12 - 22 - 8)
        row = self.env["sale.fulfilment.stock"].search([("product_id", "=", self.leg.id)])
        self.assertEqual(row.missing_qty, 0)
        self.assertEqual(self.table.with_context(warehouse_id=self.warehouse.id).expected_qty, 3)

    def test_figures_per_warehouse(self):
        other = self.env["stock.warehouse"].create({"name": "East", "code": "EAST"})
        self._stock(self.chair, 5)
        self._stock(self.chair, 7, location=other.lot_stock_id)
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "warehouse_id": other.id,
                "order_line": [Command.create({"product_id": self.chair.id, "product_uom_qty": 9})],
            }
        )
        order.action_confirm()
        self._settle()
        # The east order cannot book the main warehouse's stock.
        self.assertEqual(order.order_line.availability_status, "not_available")
        self.assertEqual(order.order_line.missing_qty, 2)
        self.assertEqual(self.chair.with_context(warehouse_id=other.id).in_stock_qty, 7)
        self.assertEqual(self.chair.in_stock_qty, 12)

    def test_other_company_orders_do_not_book_our_stock(self):
        self._stock(self.chair, 3)
        order_b = self._other_company_order([(self.chair, 3)])
        ours = self._order([(self.chair, 3)])
        (order_b | ours)._set_ranks()
        self._settle()
        self.assertEqual(order_b.order_line.availability_status, "not_available")
        self.assertEqual(ours.order_line.availability_status, "in_stock")

    def test_one_product_recompute_costs_constant_queries(self):
        self._stock(self.chair, 10)
        self._purchase(self.chair, 5)
        orders = [self._order([(self.chair, 2)]) for _i in range(3)]
        booking = self.env["sale.fulfilment.booking"]
        booking._rebook([self.chair.id])
        # Two of them set and reset the planner's join order (_book). No MO
        # makes or consumes the chair: MO statuses are not written.
        with self.assertQueryCount(__system__=12):
            booking._rebook([self.chair.id])
        for _i in range(5):
            orders.append(self._order([(self.chair, 2), (self.table, 1)]))
        booking._rebook([self.chair.id])
        with self.assertQueryCount(__system__=12):
            booking._rebook([self.chair.id])
        self.assertEqual(orders[-1].order_line[0].availability_status, "not_available")

    def test_only_touched_products_are_rebooked(self):
        self._stock(self.chair, 1)
        self._order([(self.chair, 1)])
        table_order = self._order([(self.table, 1)])
        self._settle()
        touched = []
        original = type(self.env["sale.fulfilment.booking"])._rebook

        def spy(model, product_ids=None, kits=None):
            touched.append(product_ids)
            return original(model, product_ids, kits=kits)

        self.patch(type(self.env["sale.fulfilment.booking"]), "_rebook", spy)
        self._stock(self.chair, 1)
        self._settle()
        self.assertEqual(touched, [[self.chair.id]])
        self.assertEqual(table_order.order_line.availability_status, "not_available")

    def test_rebuild_rewrites_what_sql_imports_left_stale(self):
        self._stock(self.chair, 1)
        order = self._order([(self.chair, 1)])
        self._settle()
        self.env.cr.execute(
            "UPDATE sale_fulfilment_line_availability SET status = 'not_available' WHERE id = %s",
            [order.order_line.id],
        )
        self.env.invalidate_all()
        self.env["sale.fulfilment.booking"]._cron_rebuild()
        self.assertEqual(order.order_line.availability_status, "in_stock")

    def test_failing_rebuild_keeps_previous_statuses(self):
        self._stock(self.chair, 1)
        order = self._order([(self.chair, 1)])
        self._settle()
        # As an import in SQL would: the stock is gone, nothing is marked.
        self.env.cr.execute("DELETE FROM stock_quant WHERE product_id = %s", [self.chair.id])
        booking_cls = type(self.env["sale.fulfilment.booking"])

        def broken(*args, **kwargs):
            raise RuntimeError("disk full")

        self.patch(booking_cls, "_write_figures", broken)
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.env["sale.fulfilment.booking"]._rebook(None)
        self.env.invalidate_all()
        self.assertEqual(order.order_line.availability_status, "in_stock")

    def test_manager_button_rebuilds(self):
        self._stock(self.chair, 1)
        order = self._order([(self.chair, 1)])
        self._settle()
        self.env.cr.execute(
            "UPDATE sale_fulfilment_line_availability SET status = 'expected' WHERE id = %s",
            [order.order_line.id],
        )
        self.env.invalidate_all()
        action = self.env["sale.order"].action_rebuild_availability()
        # The manager is told what happened.
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("rebuilt", action["params"]["message"])
        self.assertEqual(order.order_line.availability_status, "in_stock")
        salesman = self.env["res.users"].create(
            {
                "name": "Sam",
                "login": "sam_fulfil",
                "groups_id": [Command.set([self.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(salesman).action_rebuild_availability()

    def test_date_is_latest_booked_supply(self):
        self._purchase(self.chair, 2, days=3)
        late = self._purchase(self.chair, 2, days=12)
        order = self._order([(self.chair, 4)])
        self._settle()
        self.assertEqual(order.order_line.availability_date, late.order_line.date_planned.date())
        self.assertEqual(order.availability_date, order.order_line.availability_date)
        self.assertGreater(
            order.availability_date, (fields.Datetime.now() + timedelta(days=10)).date()
        )

    def test_buyer_moving_the_expected_arrival_moves_the_line(self):
        """The buyer changes the confirmed PO line's expected arrival (Odoo
        leaves the receipt's scheduled date as it was): the line follows."""
        po = self._purchase(self.chair, 4, days=3)
        order = self._order([(self.chair, 4)])
        self._settle()
        self.assertEqual(order.order_line.availability_date, po.order_line.date_planned.date())
        later = fields.Datetime.now() + timedelta(days=20)
        po.order_line.date_planned = later
        self._settle()
        self.assertEqual(order.order_line.availability_status, "expected")
        self.assertEqual(order.order_line.availability_date, later.date())
        self.assertIn(
            format_date(self.env, later.date()), order.order_line.availability_explanation
        )

    def test_a_not_available_order_has_no_date(self):
        """Its Expected lines have dates, but the order as a whole is not coming."""
        po = self._purchase(self.chair, 2, days=5)
        order = self._order([(self.chair, 2), (self.table, 1)])
        self._settle()
        chair_line, table_line = order.order_line
        self.assertEqual(chair_line.availability_date, po.order_line.date_planned.date())
        self.assertEqual(table_line.availability_status, "not_available")
        self.assertEqual(order.availability_status, "not_available")
        self.assertFalse(order.availability_date)
        self._production(self.table, 1, days=8)
        self._settle()
        self.assertEqual(order.availability_status, "expected")
        self.assertEqual(order.availability_date, table_line.availability_date)

    def test_a_second_booking_writes_nothing(self):
        """Stored details compare equal as text: no rewrite of unchanged lines."""
        self._stock(self.chair, 1)
        self._purchase(self.chair, 2, days=4)
        self._production(self.table, 1)
        orders = self._order([(self.chair, 2), (self.table, 1)])
        mto = self._order([(self.table, 1)])
        mto.order_line._fulfil("make_to_order")
        self._settle()
        self.assertEqual(orders.order_line.mapped("availability_status"), ["expected"] * 2)
        booking = type(self.env["sale.fulfilment.booking"])
        written = []
        original = booking._write_orders

        def spy(model, order_ids):
            written.append(order_ids)
            return original(model, order_ids)

        self.patch(booking, "_write_orders", spy)
        self.env["sale.fulfilment.booking"]._rebook(None)
        self.assertEqual(written, [])
