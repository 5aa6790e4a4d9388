from psycopg2.errors import UniqueViolation

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .common import FulfilmentCase


class FulfilmentOptionsCase(FulfilmentCase):
    """Counting documents, opening the wizard the way the buttons do."""

    def _counts(self):
        self.env.flush_all()
        return (
            self.env["mrp.production"].search_count([]),
            self.env["purchase.order"].search_count([]),
            self.env["purchase.order.line"].search_count([]),
        )

    def _wizard(self, lines, mode=None):
        action = self.env["sale.order.line.fulfilment"]._action_open(lines, mode=mode)
        self.assertEqual(action["res_model"], "sale.order.line.fulfilment")
        self.assertEqual(action["target"], "new")
        return self.env["sale.order.line.fulfilment"].browse(action["res_id"])

    def _row(self, wizard, line):
        return wizard.line_ids.filtered(lambda row: row.sale_line_id == line)

    def assertRefused(self, lines, mode, *fragments, **kwargs):
        """``_fulfil`` refuses with a message naming the line and reason; nothing is created."""
        before = self._counts()
        modes_before = lines.mapped("fulfilment_mode")
        with self.assertRaises(UserError) as caught:
            lines._fulfil(mode, **kwargs)
        message = str(caught.exception)
        self.assertIn("Nothing was created", message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        self.assertEqual(self._counts(), before, "a refusal must not leave documents behind")
        self.assertEqual(lines.mapped("fulfilment_mode"), modes_before)
        return message


@tagged("post_install", "-at_install")
class TestMakeToOrder(FulfilmentOptionsCase):
    def test_make_to_order_end_to_end(self):
        order = self._order([(self.table, 2)])
        line = order.order_line
        mo = line._fulfil("make_to_order")
        self.assertEqual(len(mo), 1)
        self.assertEqual(mo._name, "mrp.production")
        self.assertEqual(mo.state, "confirmed")
        self.assertEqual(mo.product_id, self.table)
        self.assertEqual(mo.product_qty, 2)
        self.assertEqual(mo.bom_id, self.bom)
        self.assertEqual(mo.fulfilment_mode, "make_to_order")
        self.assertEqual(mo.sale_line_id, line)
        self.assertEqual(mo.fulfilment_sale_line_ids, line)
        self.assertEqual(mo.origin, order.name)
        self.assertEqual(mo.picking_type_id, self.warehouse.manu_type_id)
        self.assertEqual(mo.picking_type_id.warehouse_id, order.warehouse_id)
        self.assertEqual(mo.sale_order_count, 1)
        self.assertEqual(
            sorted(mo.move_raw_ids.mapped(lambda m: (m.product_id.name, m.product_uom_qty))),
            [("Table leg", 8), ("Table top", 2)],
        )
        self.assertEqual(line.fulfilment_mode, "make_to_order")
        self.assertEqual(line.fulfilment_production_ids, mo)
        # The MO's output is destined for this line's delivery.
        delivery_move = order.picking_ids.move_ids
        self.assertEqual(mo.move_finished_ids.move_dest_ids, delivery_move)
        self.assertEqual(delivery_move.procure_method, "make_to_order")
        # Under Odoo's own Manufacturing button, not a second one.
        self.assertEqual(order.mrp_production_ids, mo)
        self.assertEqual(order.fulfilment_production_count, 0)
        self._settle()
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(line.availability_date, mo.date_finished.date())
        self.assertEqual(line.missing_qty, 0)
        self.assertIn(mo.name, line.availability_explanation)

        self._produce(mo)
        self.assertEqual(mo.state, "done")
        self.assertEqual(order.picking_ids.move_ids.quantity, 2)
        self.assertEqual(order.picking_ids.state, "assigned")
        self._settle()
        self.assertEqual(line.availability_status, "in_stock")
        self._deliver(order)
        self._settle()
        self.assertEqual(line.qty_delivered, 2)
        self.assertEqual(line.availability_status, "delivered")

    def test_done_mto_output_is_reserved_for_its_line_not_the_first_order(self):
        earlier = self._order([(self.table, 1)])
        order = self._order([(self.table, 2)])
        mo = order.order_line._fulfil("make_to_order")
        self._produce(mo)
        self.assertEqual(order.picking_ids.move_ids.quantity, 2)
        self.assertEqual(earlier.picking_ids.move_ids.quantity, 0)
        self._settle()
        self.assertEqual(order.order_line.availability_status, "in_stock")
        self.assertEqual(earlier.order_line.availability_status, "not_available")

    def test_make_to_order_through_the_wizard(self):
        order = self._order([(self.table, 3)])
        line = order.order_line
        self._settle()
        wizard = self._wizard(line)
        with Form(wizard) as form:
            self.assertEqual(form.mode, "make_to_order")
            self.assertFalse(form.blocked_reasons)
            self.assertIn("Make to order: possible", form.option_summary)
            self.assertIn("Buy: not possible", form.option_summary)  # tables have no vendor
            with form.line_ids.edit(0) as row:
                self.assertEqual(row.open_qty, 3)
                self.assertEqual(row.quantity, 3)
                self.assertEqual(row.missing_qty, 3)
        action = wizard.action_apply()
        mo = line.fulfilment_production_ids
        self.assertEqual(
            action,
            {
                "type": "ir.actions.act_window",
                "res_model": "mrp.production",
                "view_mode": "form",
                "res_id": mo.id,
            },
        )
        self.assertEqual(mo.product_qty, 3)
        self.assertEqual(mo.sale_line_id, line)
        self.assertEqual(line.fulfilment_mode, "make_to_order")
        self._settle()
        self.assertEqual(line.availability_status, "expected")
        # The line's button opens the same document.
        self.assertEqual(line.action_view_fulfilment_documents()["res_id"], mo.id)

    def test_partly_delivered_line_makes_the_rest(self):
        self._stock(self.table, 1)
        order = self._order([(self.table, 3)])
        self._deliver(order, qty=1)
        line = order.order_line
        self.assertEqual(line.qty_delivered, 1)
        with self.assertRaises(UserError):
            line._fulfil("make_to_order", quantities={line.id: 3})
        mo = line._fulfil("make_to_order")
        self.assertEqual(mo.product_qty, 2)
        backorder_move = order.picking_ids.move_ids.filtered(lambda m: m.state != "done")
        self.assertEqual(mo.move_finished_ids.move_dest_ids, backorder_move)
        self._produce(mo)
        self.assertEqual(backorder_move.quantity, 2)

    def test_make_to_order_in_a_two_step_delivery_warehouse(self):
        east = self.env["stock.warehouse"].create(
            {"name": "East", "code": "EAST", "delivery_steps": "pick_ship"}
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "warehouse_id": east.id,
                "order_line": [Command.create({"product_id": self.table.id, "product_uom_qty": 2})],
            }
        )
        order.action_confirm()
        mo = order.order_line._fulfil("make_to_order")
        self.assertEqual(mo.picking_type_id, east.manu_type_id)
        self.assertEqual(mo.location_dest_id, east.lot_stock_id)
        pick = order.picking_ids.filtered(lambda p: p.picking_type_id == east.pick_type_id)
        self.assertEqual(mo.move_finished_ids.move_dest_ids, pick.move_ids)
        self._produce(mo)
        self.assertEqual(pick.move_ids.quantity, 2)
        self._settle()
        self.assertEqual(order.order_line.availability_status, "in_stock")

    def test_backorder_of_a_partly_done_mto_mo_stays_make_to_order(self):
        order = self._order([(self.table, 2)])
        later = self._order([(self.table, 1)])
        line = order.order_line
        mo = line._fulfil("make_to_order")
        for move in mo.move_raw_ids:
            self._stock(move.product_id, move.product_uom_qty)
        mo.action_assign()
        mo.qty_producing = 1
        for move in mo.move_raw_ids:
            move.quantity = move.product_uom_qty / 2
        mo.move_raw_ids.picked = True
        action = mo.button_mark_done()
        self.assertEqual(action["res_model"], "mrp.production.backorder")
        Form.from_action(self.env, action).save().action_backorder()
        self.assertEqual(mo.state, "done")
        backorder = mo.procurement_group_id.mrp_production_ids - mo
        self.assertEqual(backorder.product_qty, 1)
        self.assertEqual(backorder.state, "confirmed")
        self.assertEqual(backorder.sale_line_id, line)
        self.assertEqual(backorder.fulfilment_mode, "make_to_order")
        self.assertIn(backorder, line.fulfilment_production_ids)
        self.assertEqual(order.picking_ids.move_ids.quantity, 1)  # the done half, reserved
        self._settle()
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(line.availability_date, backorder.date_finished.date())
        self.assertIn(backorder.name, line.availability_explanation)
        # The done half is promised to the line: a later order cannot book it.
        self.assertEqual(later.order_line.availability_status, "not_available")
        # Still one open make-to-order MO for the line, and it is locked like the first.
        self.assertIn(backorder.name, line._fulfilment_blocked_reason("make_to_order"))
        with self.assertRaises(UserError):
            backorder.product_qty = 3
        self._produce(backorder)
        self.assertEqual(order.picking_ids.move_ids.quantity, 2)
        self._settle()
        self.assertEqual(line.availability_status, "in_stock")

    def test_mto_mo_is_locked(self):
        order = self._order([(self.table, 2)])
        mo = order.order_line._fulfil("make_to_order")
        other = self._order([(self.table, 1)])
        for vals in (
            {"product_qty": 5},
            {"product_id": self.chair.id},
            {"sale_line_id": other.order_line.id},
            {"sale_line_id": False},
            {"fulfilment_mode": "make_in_batch"},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError) as caught:
                mo.write(vals)
            self.assertIn(mo.name, str(caught.exception))
            self.assertIn(order.name, str(caught.exception))
        self.assertEqual(mo.product_qty, 2)
        self.assertEqual(mo.sale_line_id, order.order_line)
        # What the lock is not about stays editable.
        mo.write({"qty_producing": 1, "origin": "changed"})
        self.assertEqual(mo.origin, "changed")

    def test_mto_mo_quantity_wizard_is_refused(self):
        order = self._order([(self.table, 2)])
        mo = order.order_line._fulfil("make_to_order")
        change = self.env["change.production.qty"].create({"mo_id": mo.id, "product_qty": 4})
        with self.assertRaises(UserError) as caught:
            change.change_prod_qty()
        self.assertIn("Change the sales line instead", str(caught.exception))
        self.assertEqual(mo.product_qty, 2)

    def test_batch_mo_is_not_locked(self):
        order = self._order([(self.table, 2)])
        mo = order.order_line._fulfil("make_in_batch")
        mo.product_qty = 5
        self.assertEqual(mo.product_qty, 5)

    def test_mto_mo_cannot_be_created_by_hand(self):
        order = self._order([(self.table, 2)])
        count = self.env["mrp.production"].search_count([])
        for vals in (
            {"fulfilment_mode": "make_to_order"},
            {"fulfilment_mode": "make_to_order", "sale_line_id": order.order_line.id},
            {"fulfilment_mode": "make_in_batch", "sale_line_id": order.order_line.id},
        ):
            with self.subTest(vals=vals), self.assertRaises(UserError):
                self.env["mrp.production"].create(
                    {"product_id": self.table.id, "product_qty": 2, **vals}
                )
        self.assertEqual(self.env["mrp.production"].search_count([]), count)
        self.assertFalse(order.order_line.fulfilment_mode)

    def test_one_open_mto_mo_per_line(self):
        order = self._order([(self.table, 2)])
        line = order.order_line
        mo = line._fulfil("make_to_order")
        message = self.assertRefused(line, "make_to_order", order.name, "Dining table", mo.name)
        self.assertIn("already has the make-to-order", message)
        wizard = self._wizard(line)
        self.assertIn(mo.name, wizard.blocked_reasons)
        # Make in batch stays possible on top of it.
        self.assertFalse(line._fulfilment_blocked_reason("make_in_batch"))
        # Once that MO is cancelled, the line can be made to order again.
        mo.action_cancel()
        second = line._fulfil("make_to_order")
        self.assertNotEqual(second, mo)
        self.assertEqual(second.sale_line_id, line)


@tagged("post_install", "-at_install")
class TestMakeToOrderFollowsTheLine(FulfilmentOptionsCase):
    def _quantities(self, mo):
        return {
            move.product_id.name: move.product_uom_qty
            for move in mo.move_raw_ids | mo.move_finished_ids
        }

    def test_quantity_increase_before_start(self):
        order = self._order([(self.table, 2)])
        line = order.order_line
        mo = line._fulfil("make_to_order")
        line.product_uom_qty = 3
        self.assertEqual(mo.product_qty, 3)
        self.assertEqual(mo.sale_line_id, line)
        self.assertEqual(mo.fulfilment_mode, "make_to_order")
        self.assertEqual(self._quantities(mo), {"Table leg": 12, "Table top": 3, "Dining table": 3})
        self.assertEqual(sum(order.picking_ids.move_ids.mapped("product_uom_qty")), 3)
        self._settle()
        self.assertEqual(line.availability_status, "expected")
        self._produce(mo)
        self.assertEqual(sum(order.picking_ids.move_ids.mapped("quantity")), 3)
        self._settle()
        self.assertEqual(line.availability_status, "in_stock")

    def test_quantity_decrease_before_start(self):
        order = self._order([(self.table, 3)])
        line = order.order_line
        mo = line._fulfil("make_to_order")
        line.product_uom_qty = 1
        self.assertEqual(mo.product_qty, 1)
        self.assertEqual(mo.state, "confirmed")
        self.assertEqual(self._quantities(mo), {"Table leg": 4, "Table top": 1, "Dining table": 1})
        self._settle()
        self.assertEqual(line.availability_status, "expected")

    def test_quantity_to_zero_before_start_cancels_the_mo(self):
        order = self._order([(self.table, 2)])
        line = order.order_line
        mo = line._fulfil("make_to_order")
        line.product_uom_qty = 0
        self.assertEqual(mo.state, "cancel")
        self._settle()
        self.assertEqual(line.availability_status, "delivered")

    def test_quantity_change_after_start_unlinks(self):
        self._stock(self.leg, 8)
        self._stock(self.top, 2)
        order = self._order([(self.table, 2)])
        line = order.order_line
        mo = line._fulfil("make_to_order")
        mo.qty_producing = 1
        line.product_uom_qty = 3
        self.assertFalse(mo.sale_line_id)
        self.assertEqual(mo.fulfilment_mode, "make_in_batch")
        self.assertEqual(mo.product_qty, 2)  # a started MO is left alone
        self.assertEqual(mo.state, "progress")
        self.assertEqual(line.fulfilment_mode, "make_in_batch")
        self.assertEqual(
            set(order.picking_ids.move_ids.mapped("procure_method")), {"make_to_stock"}
        )
        self.assertFalse(mo.move_finished_ids.move_dest_ids)
        for document in (mo, order):
            bodies = " ".join(document.message_ids.mapped("body"))
            self.assertIn("now made in batch", bodies)
            self.assertIn(mo.name, bodies)
            self.assertIn("changed to 3", bodies)
        # The former MTO MO is now ordinary supply of the pool: the line books it.
        self._settle()
        self.assertEqual(line.availability_status, "not_available")
        self.assertEqual(line.missing_qty, 1)
        # And the lock no longer applies.
        mo.product_qty = 3
        self.assertEqual(mo.product_qty, 3)
        # The line can be made to order again.
        self.assertFalse(line._fulfilment_blocked_reason("make_to_order"))

    def test_components_picked_count_as_started(self):
        self._stock(self.leg, 8)
        self._stock(self.top, 2)
        order = self._order([(self.table, 2)])
        line = order.order_line
        mo = line._fulfil("make_to_order")
        mo.action_assign()
        mo.move_raw_ids.picked = True
        line.product_uom_qty = 1
        self.assertEqual(mo.fulfilment_mode, "make_in_batch")
        self.assertEqual(mo.product_qty, 2)

    def test_cancelling_the_order_cancels_a_not_started_mo(self):
        order = self._order([(self.table, 2)])
        mo = order.order_line._fulfil("make_to_order")
        order._action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(mo.state, "cancel")
        self._settle()
        self.assertEqual(order.order_line.availability_status, "not_applicable")

    def test_cancelling_the_order_unlinks_a_started_mo(self):
        self._stock(self.leg, 8)
        self._stock(self.top, 2)
        order = self._order([(self.table, 2)])
        mo = order.order_line._fulfil("make_to_order")
        mo.qty_producing = 2
        order._action_cancel()
        self.assertEqual(order.state, "cancel")
        self.assertNotEqual(mo.state, "cancel")
        self.assertFalse(mo.sale_line_id)
        self.assertEqual(mo.fulfilment_mode, "make_in_batch")
        for document in (mo, order):
            bodies = " ".join(document.message_ids.mapped("body"))
            self.assertIn("was cancelled", bodies)
            self.assertIn(mo.name, bodies)
        # Its output now goes to stock, where the next order can book it.
        later = self._order([(self.table, 2)])
        self._settle()
        self.assertEqual(later.order_line.availability_status, "expected")
        mo.move_raw_ids.picked = True
        mo.button_mark_done()
        self.assertEqual(mo.state, "done")
        self.assertEqual(self.table.with_context(warehouse_id=self.warehouse.id).qty_available, 2)

    def test_database_allows_one_open_mto_mo_per_line(self):

        order = self._order([(self.table, 2)])
        mo = order.order_line._fulfil("make_to_order")
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            """
            SELECT column_name FROM information_schema.columns
             WHERE table_name = 'mrp_production'
               AND column_name NOT IN ('id', 'name', 'state', 'fulfilment_mode')
            """
        )
        columns = ", ".join(f'"{name}"' for (name,) in cr.fetchall())

        def copy(state="confirmed", mode="make_to_order"):
            cr.execute(
                f"""
                INSERT INTO mrp_production (name, state, fulfilment_mode, {columns})
                SELECT name || '-' || %s || '-' || %s, %s, %s, {columns}
                  FROM mrp_production WHERE id = %s
                """,
                (state, mode, state, mode, mo.id),
            )

        with self.assertRaises(UniqueViolation) as caught, cr.savepoint(flush=False):
            copy()
        self.assertEqual(
            caught.exception.diag.constraint_name, "mrp_production_one_open_make_to_order"
        )
        # The index is partial: done, cancelled or batch MOs of the same line are fine.
        with cr.savepoint(flush=False):
            copy(state="cancel")
            copy(state="done")
            copy(mode="make_in_batch")

    def test_concurrent_mo_is_reported_as_a_clear_error(self):
        """The search missed the other user's MO: the index refuses, the user is told."""
        order = self._order([(self.table, 2)])
        line = order.order_line
        first = line._fulfil("make_to_order")
        before = self._counts()
        self.patch(type(line), "_fulfilment_open_productions", lambda self: {})
        with self.assertRaises(UserError) as caught:
            line._fulfil("make_to_order")
        self.assertIn("just created", str(caught.exception))
        self.assertEqual(self._counts(), before)
        self.assertEqual(self.env["mrp.production"].search([("sale_line_id", "=", line.id)]), first)


@tagged("post_install", "-at_install")
class TestMakeInBatch(FulfilmentOptionsCase):
    def test_make_in_batch(self):
        order = self._order([(self.table, 2)])
        line = order.order_line
        mo = line._fulfil("make_in_batch", quantities={line.id: 5})
        self.assertEqual(mo.state, "confirmed")
        self.assertEqual(mo.fulfilment_mode, "make_in_batch")
        self.assertFalse(mo.sale_line_id)
        self.assertEqual(mo.fulfilment_sale_line_ids, line)
        self.assertEqual(mo.product_qty, 5)
        self.assertEqual(mo.origin, order.name)
        self.assertEqual(mo.picking_type_id, self.warehouse.manu_type_id)
        self.assertFalse(mo.move_finished_ids.move_dest_ids)
        self.assertEqual(order.picking_ids.move_ids.procure_method, "make_to_stock")
        self.assertEqual(line.fulfilment_mode, "make_in_batch")
        self.assertEqual(line.fulfilment_production_ids, mo)
        self.assertEqual(mo.action_view_sale_orders()["res_id"], order.id)
        # Its output joins the pool: this line and a later one book it.
        later = self._order([(self.table, 3)])
        too_late = self._order([(self.table, 1)])
        self._settle()
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(line.availability_date, mo.date_finished.date())
        self.assertEqual(later.order_line.availability_status, "expected")
        self.assertEqual(too_late.order_line.availability_status, "not_available")
        # Done, it is stock any order's delivery may take.
        self._produce(mo)
        self._settle()
        self.assertEqual(line.availability_status, "in_stock")
        self.assertEqual(later.order_line.availability_status, "in_stock")

    def test_same_product_lines_make_one_mo_for_the_sum(self):
        first = self._order([(self.table, 2), (self.chair, 1)])
        second = self._order([(self.table, 3)])
        lines = (
            first.order_line.filtered(lambda line: line.product_id == self.table)
            | second.order_line
        )
        self._settle()
        wizard = self._wizard(lines, mode="make_in_batch")
        with Form(wizard) as form:
            self.assertEqual(form.mode, "make_in_batch")
            with form.line_ids.edit(0) as row:
                self.assertEqual(row.quantity, 2)
            with form.line_ids.edit(1) as row:
                self.assertEqual(row.quantity, 3)
                row.quantity = 4
        action = wizard.action_apply()
        mo = self.env["mrp.production"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "mrp.production")
        self.assertEqual(mo.product_qty, 6)
        self.assertEqual(mo.fulfilment_sale_line_ids, lines)
        self.assertEqual(mo.origin, f"{first.name}, {second.name}")
        self.assertEqual(lines.mapped("fulfilment_mode"), ["make_in_batch", "make_in_batch"])
        self.assertEqual(mo.sale_order_count, 2)
        self.assertEqual(mo.action_view_sale_orders()["domain"], [("id", "in", lines.order_id.ids)])
        self.assertEqual(
            first.order_line.filtered(lambda line: line.product_id == self.chair).fulfilment_mode,
            False,
        )
        self._settle()
        self.assertEqual(lines.mapped("availability_status"), ["expected", "expected"])

    def test_suggested_quantity_is_the_product_missing(self):
        self._stock(self.table, 1)
        self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.table.id,
                "warehouse_id": self.warehouse.id,
                "location_id": self.stock_location.id,
                "product_min_qty": 2,
                "product_max_qty": 4,
            }
        )
        first = self._order([(self.table, 3)])
        second = self._order([(self.table, 2)])
        self._settle()
        self.assertEqual(first.order_line.missing_qty, 2)
        self.assertEqual(second.order_line.missing_qty, 2)
        table = self.table.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual(table.calculated_stock_qty, 1 - 5 - 2)
        # One line: its own missing plus what the product misses beyond it.
        wizard = self._wizard(second.order_line)
        with Form(wizard) as form:
            with form.line_ids.edit(0) as row:
                self.assertEqual(row.quantity, 2)  # make to order: the open quantity
            form.mode = "make_in_batch"
            with form.line_ids.edit(0) as row:
                self.assertEqual(row.missing_qty, 2)
                self.assertEqual(row.calculated_stock_qty, -6)
                self.assertEqual(row.quantity, 6)
        # Two lines: each its own missing, the first the rest of the product's.
        wizard = self._wizard(second.order_line | first.order_line, mode="make_in_batch")
        self.assertEqual(self._row(wizard, second.order_line).quantity, 4)
        self.assertEqual(self._row(wizard, first.order_line).quantity, 2)
        mo = wizard.line_ids.sale_line_id._fulfil(
            "make_in_batch",
            quantities={row.sale_line_id.id: row.quantity for row in wizard.line_ids},
        )
        self.assertEqual(mo.product_qty, 6)
        self._settle()
        self.assertEqual(table.calculated_stock_qty, 0)
        self.assertEqual(first.order_line.availability_status, "expected")
        self.assertEqual(second.order_line.availability_status, "expected")

    def test_suggestion_without_product_shortage_is_the_open_quantity(self):
        self._stock(self.table, 10)
        order = self._order([(self.table, 2)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "in_stock")
        wizard = self._wizard(order.order_line, mode="make_in_batch")
        self.assertEqual(wizard.line_ids.quantity, 2)

    def test_several_products_make_one_mo_each(self):
        stool = self._product("Stool", sale_ok=True)
        self.env["mrp.bom"].create(
            {
                "product_tmpl_id": stool.product_tmpl_id.id,
                "bom_line_ids": [Command.create({"product_id": self.leg.id, "product_qty": 3})],
            }
        )
        order = self._order([(self.table, 1), (stool, 2)])
        action = self._wizard(order.order_line, mode="make_in_batch").action_apply()
        mos = self.env["mrp.production"].search(action["domain"])
        self.assertEqual(action["res_model"], "mrp.production")
        self.assertEqual(action["view_mode"], "list,form")
        self.assertEqual(len(mos), 2)
        self.assertEqual(
            sorted(mos.mapped(lambda m: (m.product_id.name, m.product_qty))),
            [("Dining table", 1), ("Stool", 2)],
        )
        self.assertEqual(order.fulfilment_production_count, 2)

    def test_make_to_order_for_several_lines_returns_a_list(self):
        first = self._order([(self.table, 1)])
        second = self._order([(self.table, 2)])
        lines = first.order_line | second.order_line
        action = self._wizard(lines).action_apply()
        self.assertEqual(action["view_mode"], "list,form")
        mos = self.env["mrp.production"].search(action["domain"])
        self.assertEqual(mos.sale_line_id, lines)
        self.assertEqual(
            {mo.sale_line_id: mo.product_qty for mo in mos},
            {first.order_line: 1, second.order_line: 2},
        )


@tagged("post_install", "-at_install")
class TestBuy(FulfilmentOptionsCase):
    def test_buy(self):
        order = self._order([(self.chair, 3)])
        line = order.order_line
        self._settle()
        self.assertEqual(line.availability_status, "not_available")
        po = line._fulfil("buy")
        self.assertEqual(po._name, "purchase.order")
        self.assertEqual(po.partner_id, self.vendor)
        self.assertEqual(po.state, "purchase")
        self.assertEqual(po.origin, order.name)
        self.assertFalse(po.is_outsourced)
        self.assertEqual(po.picking_type_id, self.warehouse.in_type_id)
        self.assertEqual(po.order_line.product_id, self.chair)
        self.assertEqual(po.order_line.product_qty, 3)
        self.assertEqual(po.order_line.price_unit, 40)
        self.assertEqual(po.order_line.fulfilment_sale_line_ids, line)
        self.assertEqual(po.picking_ids.move_ids.product_uom_qty, 3)
        self.assertEqual(line.fulfilment_mode, "buy")
        self.assertEqual(line.fulfilment_purchase_line_ids, po.order_line)
        self.assertEqual(order.fulfilment_purchase_count, 1)
        self.assertEqual(po.fulfilment_sale_order_count, 1)
        self.assertEqual(
            po.action_view_fulfilment_sale_orders(),
            {
                "type": "ir.actions.act_window",
                "res_model": "sale.order",
                "view_mode": "form",
                "res_id": order.id,
            },
        )
        self.assertEqual(line.action_view_fulfilment_documents()["res_id"], po.id)
        self._settle()
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(line.availability_date, po.order_line.date_planned.date())

    def test_buy_through_the_wizard_at_another_vendor(self):
        other_vendor = self.env["res.partner"].create({"name": "Chairs & Co"})
        order = self._order([(self.chair, 2)])
        line = order.order_line
        self._settle()
        wizard = self._wizard(line)
        with Form(wizard) as form:
            form.mode = "buy"
            self.assertFalse(form.blocked_reasons)
            with form.line_ids.edit(0) as row:
                self.assertEqual(row.partner_id, self.vendor)  # proposed from the vendor list
                self.assertEqual(row.quantity, 2)
                row.partner_id = other_vendor
                row.quantity = 5
        action = wizard.action_apply()
        po = self.env["purchase.order"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "purchase.order")
        self.assertEqual(action["view_mode"], "form")
        self.assertEqual(po.partner_id, other_vendor)
        self.assertEqual(po.order_line.product_qty, 5)
        self.assertEqual(po.state, "purchase")
        self.assertEqual(po.origin, order.name)

    def test_rfq_only(self):
        order = self._order([(self.chair, 3)])
        line = order.order_line
        wizard = self._wizard(line, mode="buy")
        wizard.rfq_only = True
        po = self.env["purchase.order"].browse(wizard.action_apply()["res_id"])
        self.assertEqual(po.state, "draft")
        self.assertFalse(po.picking_ids)
        self.assertEqual(line.fulfilment_mode, "buy")
        self._settle()
        self.assertEqual(line.availability_status, "not_available")  # an RFQ is not expected
        self.assertEqual(line.missing_qty, 3)
        po.button_confirm()
        self._settle()
        self.assertEqual(line.availability_status, "expected")

    def test_buy_joins_the_vendors_draft_rfq(self):
        """Odoo's buy rule joins an RFQ of the vendor, company, receipt type,
        buyer (the vendor's, here none) and currency; the chairs of both orders
        go on one line, as Odoo merges what it buys of one product."""
        rfq = self._purchase(self.leg, 20, confirm=False)
        rfq.user_id = self.vendor.buyer_id
        confirmed = self._purchase(self.chair, 1)
        other_vendor_rfq = self._purchase(self.chair, 1, partner=self.subcontractor, confirm=False)
        first = self._order([(self.chair, 3)])
        second = self._order([(self.chair, 2)])
        orders_before = self.env["purchase.order"].search_count([])
        po = first.order_line._fulfil("buy", rfq_only=True)
        self.assertEqual(po, rfq)
        po = second.order_line._fulfil("buy")
        self.assertEqual(po, rfq)
        self.assertEqual(self.env["purchase.order"].search_count([]), orders_before)
        self.assertEqual(rfq.state, "purchase")
        self.assertEqual(
            rfq.order_line.mapped(lambda line: (line.product_id.name, line.product_qty)),
            [("Table leg", 20), ("Chair", 5)],
        )
        self.assertEqual(
            rfq.order_line.filtered(
                lambda line: line.product_id == self.chair
            ).fulfilment_sale_line_ids,
            first.order_line | second.order_line,
        )
        self.assertEqual(rfq.origin, f"{first.name}, {second.name}")
        self.assertEqual(rfq.fulfilment_sale_order_count, 2)
        action = rfq.action_view_fulfilment_sale_orders()
        self.assertEqual(action["view_mode"], "list,form")
        self.assertEqual(self.env["sale.order"].search(action["domain"]), first | second)
        self.assertEqual(len(confirmed.order_line), 1)
        self.assertEqual(len(other_vendor_rfq.order_line), 1)

    def test_buy_joins_a_draft_rfq_a_buyer_typed_for_the_vendor(self):
        """A draft RFQ typed by a buyer (he is its buyer) for the vendor is
        completed, not doubled by a new one, as a planner expects."""
        buyer = new_test_user(self.env, login="rfq_typist", groups="purchase.group_purchase_user")
        rfq = (
            self.env["purchase.order"]
            .with_user(buyer)
            .create({"partner_id": self.vendor.id, "picking_type_id": self.warehouse.in_type_id.id})
        )
        self.assertEqual(rfq.user_id, buyer)
        order = self._order([(self.chair, 3)])
        po = order.order_line._fulfil("buy", rfq_only=True)
        self.assertEqual(po, rfq.sudo())
        self.assertEqual(rfq.order_line.product_id, self.chair)
        self.assertEqual(rfq.order_line.product_qty, 3)

    def test_buy_does_not_join_another_companys_rfq(self):
        company_b = self.env["res.company"].create({"name": "Other furniture Co"})
        rfq_b = (
            self.env["purchase.order"]
            .with_company(company_b)
            .create({"partner_id": self.vendor.id, "company_id": company_b.id})
        )
        order = self._order([(self.chair, 3)])
        po = order.order_line._fulfil("buy")
        self.assertNotEqual(po, rfq_b)
        self.assertEqual(po.company_id, self.company)
        self.assertFalse(rfq_b.order_line)

    def test_suggested_quantity_respects_the_vendor_minimum(self):
        self.chair.seller_ids.min_qty = 10
        order = self._order([(self.chair, 3)])
        self._settle()
        wizard = self._wizard(order.order_line, mode="buy")
        self.assertEqual(wizard.line_ids.partner_id, self.vendor)
        self.assertEqual(wizard.line_ids.quantity, 10)
        with Form(wizard) as form:
            form.mode = "make_in_batch"  # no vendor minimum when making (and chairs have no BoM)
            with form.line_ids.edit(0) as row:
                self.assertEqual(row.quantity, 3)
            self.assertIn("no bill of materials", form.blocked_reasons)
            form.mode = "buy"
            with form.line_ids.edit(0) as row:
                self.assertEqual(row.quantity, 10)
        po = self.env["purchase.order"].browse(wizard.action_apply()["res_id"])
        self.assertEqual(po.order_line.product_qty, 10)

    def test_buy_for_several_vendors_returns_a_list(self):
        stool = self._product("Stool", sale_ok=True, purchase_ok=True)
        stool.seller_ids = [Command.create({"partner_id": self.subcontractor.id, "price": 9})]
        order = self._order([(self.chair, 1), (stool, 2)])
        action = self._wizard(order.order_line, mode="buy").action_apply()
        self.assertEqual(action["res_model"], "purchase.order")
        self.assertEqual(action["view_mode"], "list,form")
        pos = self.env["purchase.order"].search(action["domain"])
        self.assertEqual(pos.partner_id, self.vendor | self.subcontractor)
        self.assertEqual(set(pos.mapped("state")), {"purchase"})
        self.assertEqual(pos.mapped("origin"), [order.name, order.name])
        self.assertEqual(order.fulfilment_purchase_count, 2)

    def test_purchase_in_another_unit(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        self.chair.uom_po_id = dozen
        self.chair.seller_ids.product_uom = dozen
        order = self._order([(self.chair, 24)])
        po = order.order_line._fulfil("buy")
        self.assertEqual(po.order_line.product_uom, dozen)
        self.assertEqual(po.order_line.product_qty, 2)
        self._settle()
        self.assertEqual(order.order_line.availability_status, "expected")


@tagged("post_install", "-at_install")
class TestOutsource(FulfilmentOptionsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fabric = cls._product("Cushion fabric")
        cls.cushion = cls._subcontracted_product("Cushion", component=cls.fabric)

    def test_outsource(self):
        order = self._order([(self.cushion, 4)])
        line = order.order_line
        self._settle()
        wizard = self._wizard(line, mode="outsource")
        self.assertFalse(wizard.blocked_reasons)
        self.assertEqual(wizard.line_ids.partner_id, self.subcontractor)
        self.assertEqual(wizard.line_ids.quantity, 4)
        action = wizard.action_apply()
        po = self.env["purchase.order"].browse(action["res_id"])
        self.assertEqual(po.partner_id, self.subcontractor)
        self.assertTrue(po.is_outsourced)
        self.assertEqual(po.state, "purchase")
        self.assertEqual(po.origin, order.name)
        self.assertEqual(po.order_line.product_qty, 4)
        self.assertEqual(line.fulfilment_mode, "outsource")
        self.assertEqual(line.fulfilment_purchase_line_ids, po.order_line)
        # Odoo's subcontracting made the subcontract MO behind the receipt.
        receipt_move = po.order_line.move_ids
        self.assertTrue(receipt_move.is_subcontract)
        subcontract_mo = receipt_move.move_orig_ids.production_id
        self.assertEqual(len(subcontract_mo), 1)
        self.assertEqual(subcontract_mo.product_id, self.cushion)
        self.assertEqual(subcontract_mo.product_qty, 4)
        self.assertEqual(subcontract_mo.bom_id.type, "subcontract")
        self.assertEqual(subcontract_mo.subcontractor_id, self.subcontractor)
        self.assertEqual(subcontract_mo.move_raw_ids.product_id, self.fabric)
        self.assertEqual(subcontract_mo.move_raw_ids.product_uom_qty, 8)
        self._settle()
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(line.availability_date, po.order_line.date_planned.date())
        # Its components sit at the subcontractor: no warehouse booking for them,
        # and no ingredient badge claiming they are missing.
        self.assertFalse(subcontract_mo.ingredient_availability)
        self.assertFalse(subcontract_mo.move_raw_ids.fulfilment_status)

    def test_outsourced_po_does_not_join_a_plain_rfq(self):
        self.cushion.seller_ids = [Command.create({"partner_id": self.subcontractor.id})]
        plain_rfq = self._purchase(self.cushion, 1, partner=self.subcontractor, confirm=False)
        order = self._order([(self.cushion, 2)])
        po = order.order_line._fulfil("outsource", rfq_only=True)
        self.assertNotEqual(po, plain_rfq)
        self.assertTrue(po.is_outsourced)
        self.assertEqual(po.state, "draft")
        self.assertEqual(po, order.order_line._fulfil("outsource", rfq_only=True))

    def test_subcontracted_product_cannot_be_made_in_house(self):
        order = self._order([(self.cushion, 1)])
        self.assertRefused(
            order.order_line, "make_in_batch", "Cushion", "no manufacturing bill of materials"
        )

    def test_product_made_in_house_and_outsourced(self):
        """A subcontracting BoM does not hide the manufacturing one, nor the reverse."""
        self.env["mrp.bom"].create(
            {
                "product_tmpl_id": self.cushion.product_tmpl_id.id,
                "type": "normal",
                "bom_line_ids": [Command.create({"product_id": self.fabric.id, "product_qty": 3})],
            }
        )
        order = self._order([(self.cushion, 1), (self.cushion, 1)])
        first, second = order.order_line
        mo = first._fulfil("make_to_order")
        self.assertEqual(mo.bom_id.type, "normal")
        self.assertEqual(mo.move_raw_ids.product_uom_qty, 3)
        po = second._fulfil("outsource")
        self.assertTrue(po.is_outsourced)
        self.assertEqual(
            po.order_line.move_ids.move_orig_ids.production_id.bom_id.type, "subcontract"
        )


@tagged("post_install", "-at_install")
class TestBadInput(FulfilmentOptionsCase):
    def test_quotation(self):
        quotation = self._order([(self.table, 2)], confirm=False)
        self.assertRefused(quotation.order_line, "make_to_order", quotation.name, "quotation")
        self.assertRefused(quotation.order_line, "make_in_batch", "quotation")
        with self.assertRaises(UserError):
            self._wizard(quotation.order_line)

    def test_cancelled_order(self):
        order = self._order([(self.chair, 2)])
        order._action_cancel()
        self.assertRefused(order.order_line, "buy", order.name, "cancelled")

    def test_locked_order(self):
        order = self._order([(self.table, 2)])
        order.action_lock()
        self.assertRefused(order.order_line, "make_to_order", order.name, "locked")
        self.assertRefused(order.order_line, "make_in_batch", "locked")

    def test_nothing_left_to_deliver(self):
        self._stock(self.chair, 2)
        order = self._order([(self.chair, 2)])
        self._deliver(order)
        self.assertEqual(order.order_line.qty_delivered, 2)
        self.assertRefused(order.order_line, "buy", order.name, "nothing is left to deliver")

    def test_service_line(self):
        service = self.env["product.product"].create({"name": "Assembly", "type": "service"})
        order = self._order([(service, 1)])
        self.assertRefused(order.order_line, "buy", "Assembly", "not a storable product")

    def test_quantity_zero_or_negative(self):
        order = self._order([(self.table, 2), (self.chair, 2)])
        table_line, chair_line = order.order_line
        for qty in (0, -1):
            with self.subTest(qty=qty):
                self.assertRefused(
                    table_line,
                    "make_in_batch",
                    "Dining table",
                    "the quantity must be positive",
                    quantities={table_line.id: qty},
                )
                self.assertRefused(
                    chair_line, "buy", "Chair", "positive", quantities={chair_line.id: qty}
                )
                self.assertRefused(
                    table_line, "make_to_order", "positive", quantities={table_line.id: qty}
                )

    def test_make_to_order_for_other_than_the_open_quantity(self):
        order = self._order([(self.table, 2)])
        line = order.order_line
        for qty in (1, 3):
            with self.subTest(qty=qty):
                self.assertRefused(
                    line,
                    "make_to_order",
                    order.name,
                    "exactly the open quantity (2",
                    quantities={line.id: qty},
                )

    def test_make_without_bill_of_materials(self):
        order = self._order([(self.chair, 2)])
        for mode in ("make_to_order", "make_in_batch"):
            with self.subTest(mode=mode):
                self.assertRefused(order.order_line, mode, "Chair", "has no bill of materials")

    def test_make_a_kit(self):
        kit = self._kit_product()
        order = self._order([(kit, 1)])
        self.assertEqual(order.order_line.move_ids.product_id, self.leg | self.top)
        for mode in ("make_to_order", "make_in_batch"):
            with self.subTest(mode=mode):
                self.assertRefused(order.order_line, mode, "Table kit", "kit bill of materials")

    def test_buy_what_cannot_be_purchased(self):
        self.table.purchase_ok = False
        order = self._order([(self.table, 2)])
        self.assertRefused(
            order.order_line,
            "buy",
            "Dining table",
            "cannot be purchased",
            partners={order.order_line.id: self.vendor},
        )

    def test_buy_without_vendor(self):
        self.chair.seller_ids = False
        order = self._order([(self.chair, 2)])
        self.assertRefused(order.order_line, "buy", "Chair", "no vendor; choose one")
        wizard = self._wizard(order.order_line, mode="buy")
        self.assertFalse(wizard.line_ids.partner_id)
        self.assertIn("no vendor", wizard.blocked_reasons)
        # Choosing one is enough.
        wizard.line_ids.partner_id = self.vendor
        self.assertFalse(wizard.blocked_reasons)
        po = self.env["purchase.order"].browse(wizard.action_apply()["res_id"])
        self.assertEqual(po.partner_id, self.vendor)

    def test_outsource_without_subcontracting_bom(self):
        order = self._order([(self.chair, 2)])
        self.assertRefused(
            order.order_line, "outsource", "Chair", "has no subcontracting bill of materials"
        )
        cushion = self._subcontracted_product("Cushion")
        order = self._order([(cushion, 2)])
        self.assertRefused(
            order.order_line,
            "outsource",
            "Cushion",
            "no subcontracting bill of materials for Timber Supplies",
            partners={order.order_line.id: self.vendor},
        )

    def test_outsource_what_cannot_be_purchased(self):
        cushion = self._subcontracted_product("Cushion")
        cushion.purchase_ok = False
        order = self._order([(cushion, 2)])
        self.assertRefused(order.order_line, "outsource", "Cushion", "cannot be purchased")

    def test_line_of_another_company(self):
        self.bom.company_id = False
        order_b = self._other_company_order([(self.chair, 3), (self.table, 1)])
        ours = self.company
        lines = order_b.order_line.with_context(allowed_company_ids=ours.ids)
        chair_line, table_line = lines
        self.assertRefused(chair_line, "buy", "another company", "Other furniture Co")
        self.assertRefused(table_line, "make_to_order", order_b.name, "another company")
        self.assertRefused(table_line, "make_in_batch", "another company")
        # Within its own company the same lines are served.
        company_b = order_b.company_id
        mo = order_b.order_line[1].with_company(company_b)._fulfil("make_to_order")
        self.assertEqual(mo.company_id, company_b)
        self.assertEqual(mo.picking_type_id.warehouse_id, order_b.warehouse_id)

    def test_one_bad_line_stops_them_all(self):
        good = self._order([(self.table, 2), (self.chair, 1)])
        quotation = self._order([(self.table, 1), (self.chair, 1)], confirm=False)
        table_lines = (good | quotation).order_line.filtered(
            lambda line: line.product_id == self.table
        )
        chair_lines = (good | quotation).order_line.filtered(
            lambda line: line.product_id == self.chair
        )
        for mode, lines in (
            ("make_to_order", table_lines),
            ("make_in_batch", table_lines),
            ("buy", chair_lines),
        ):
            with self.subTest(mode=mode):
                message = self.assertRefused(lines, mode, quotation.name, "quotation")
                self.assertNotIn(good.name, message)
        self.assertEqual(good.picking_ids.move_ids.mapped("procure_method"), ["make_to_stock"] * 2)
        # Several bad lines: every one of them is named.
        kit = self._kit_product()
        order = self._order([(self.chair, 1), (kit, 1), (self.table, 2)])
        message = self.assertRefused(
            order.order_line, "make_in_batch", "Chair", "Table kit", "no bill of materials", "kit"
        )
        self.assertNotIn("Dining table", message)

    def test_unknown_mode_and_no_line(self):
        order = self._order([(self.table, 2)])
        with self.assertRaises(UserError):
            order.order_line._fulfil("steal")
        with self.assertRaises(UserError):
            self.env["sale.order.line"]._fulfil("make_in_batch")


@tagged("post_install", "-at_install")
class TestWizardFromActionMenu(FulfilmentOptionsCase):
    def _open_from(self, records):
        action = (
            self.env["sale.order.line.fulfilment"]
            .with_context(active_model=records._name, active_ids=records.ids)
            .action_open_from_selection()
        )
        return self.env["sale.order.line.fulfilment"].browse(action["res_id"])

    def test_from_several_orders(self):
        service = self.env["product.product"].create({"name": "Assembly", "type": "service"})
        self._stock(self.chair, 1)
        first = self._order([(self.table, 2), (service, 1)])
        second = self._order([(self.chair, 1), (self.table, 1)])
        chair_move, table_move = second.picking_ids.move_ids
        chair_move.write({"quantity": 1, "picked": True})
        second.picking_ids.with_context(skip_backorder=True).button_validate()
        self.assertNotEqual(table_move.state, "done")  # in the backorder
        chair_line, table_line = second.order_line
        self.assertEqual(chair_line.qty_delivered, 1)
        wizard = self._open_from(first | second)
        self.assertEqual(wizard.line_ids.sale_line_id, first.order_line[0] | table_line)
        self.assertIn("Assembly", wizard.left_out)
        self.assertIn(f"{second.name} - Chair", wizard.left_out)
        self.assertNotIn("Dining table", wizard.left_out)
        action = wizard.action_apply()
        mos = self.env["mrp.production"].search(action["domain"])
        self.assertEqual(mos.sale_line_id, first.order_line[0] | table_line)

    def test_from_lines(self):
        service = self.env["product.product"].create({"name": "Assembly", "type": "service"})
        order = self._order([(self.table, 2), (service, 1), (self.chair, 3)])
        quotation = self._order([(self.chair, 1)], confirm=False)
        table_line, _service_line, chair_line = order.order_line
        wizard = self._open_from(order.order_line | quotation.order_line)
        self.assertEqual(wizard.line_ids.sale_line_id, table_line | chair_line)
        self.assertIn("Assembly", wizard.left_out)
        self.assertIn(quotation.name, wizard.left_out)
        self.assertEqual(wizard.mode, "make_to_order")
        self.assertIn("Chair", wizard.blocked_reasons)  # chairs have no BoM
        self.assertNotIn("Dining table", wizard.blocked_reasons)

    def test_nothing_open(self):
        service = self.env["product.product"].create({"name": "Assembly", "type": "service"})
        self._stock(self.chair, 2)
        order = self._order([(self.chair, 2), (service, 1)])
        self._deliver(order)
        with self.assertRaises(UserError) as caught:
            self._open_from(order)
        self.assertIn("None of the selected lines", str(caught.exception))
        with self.assertRaises(UserError):
            self._open_from(order.order_line)

    def test_the_line_button(self):
        order = self._order([(self.table, 2)])
        action = order.order_line.action_open_fulfilment_wizard()
        wizard = self.env["sale.order.line.fulfilment"].browse(action["res_id"])
        self.assertEqual(wizard.line_ids.sale_line_id, order.order_line)
        self.assertFalse(wizard.left_out)


@tagged("post_install", "-at_install")
class TestFiguresDoNotPinProducts(FulfilmentOptionsCase):
    def test_a_product_with_figures_can_still_be_deleted(self):
        """Figures are derived data: they go with the product, they do not keep it."""
        stool = self._product("Stool", sale_ok=True)
        self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": stool.id,
                "warehouse_id": self.warehouse.id,
                "location_id": self.stock_location.id,
                "product_min_qty": 2,
                "product_max_qty": 4,
            }
        )
        self._settle()
        self.assertTrue(self.env["sale.fulfilment.stock"].search([("product_id", "=", stool.id)]))
        stool.product_tmpl_id.unlink()
        self.env.flush_all()
        self.assertFalse(stool.exists())
        self.assertFalse(self.env["sale.fulfilment.stock"].search([("product_id", "=", stool.id)]))
