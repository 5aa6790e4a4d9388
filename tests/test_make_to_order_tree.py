from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestMakeToOrderTree(FulfilmentCase):
    """A dining table made to order from a top made from boards, made from logs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.board = cls._product("Oak board")
        cls.log = cls._product("Oak log")
        for product, component, qty in ((cls.top, cls.board, 2), (cls.board, cls.log, 1)):
            cls.env["mrp.bom"].create(
                {
                    "product_tmpl_id": product.product_tmpl_id.id,
                    "product_qty": 1,
                    "bom_line_ids": [
                        Command.create({"product_id": component.id, "product_qty": qty})
                    ],
                }
            )
        cls._stock(cls.leg, 100)

    def _made_to_order(self, qty=2):
        order = self._order([(self.table, qty)])
        self._settle()
        production = order.order_line._fulfil("make_to_order")
        self._settle()
        return order, production

    def _children(self, production, product):
        return production.fulfilment_child_ids.filtered(lambda p: p.product_id == product)

    def test_the_whole_tree_in_one_click(self):
        order, table_mo = self._made_to_order(2)
        self.assertEqual(table_mo.ingredient_availability, "not_available")
        table_mo.action_fulfilment_make_sub_assemblies()
        top_mo = self._children(table_mo, self.top)
        board_mo = self._children(top_mo, self.board)
        self.assertEqual(top_mo.product_qty, 2, "exactly the tops the table MO misses")
        self.assertEqual(board_mo.product_qty, 4, "2 boards for each of the 2 tops")
        self.assertFalse(board_mo.fulfilment_child_ids, "logs are bought, not made")
        for child, parent in ((top_mo, table_mo), (board_mo, top_mo)):
            self.assertEqual(child.fulfilment_parent_id, parent)
            self.assertEqual(child.fulfilment_mode, "make_to_order")
            self.assertEqual(child.state, "confirmed")
            self.assertEqual(child.origin, order.name)
        # Children just before their parent, the deepest first.
        self.assertEqual(
            [board_mo.schedule_priority + 1, top_mo.schedule_priority + 1],
            [top_mo.schedule_priority, table_mo.schedule_priority],
        )
        self._settle()
        # The parent's tops are expected from the child; the line on the latest
        # date down its tree; its explanation names the tree.
        later = fields.Datetime.now() + timedelta(days=20)
        board_mo.date_finished = later
        self._settle()
        top_move = table_mo.move_raw_ids.filtered(lambda m: m.product_id == self.top)
        self.assertEqual(top_move.fulfilment_status, "expected")
        self.assertEqual(top_move.fulfilment_date, top_mo.date_finished.date())
        line = order.order_line
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(line.availability_date, later.date())
        for mo in (table_mo, top_mo, board_mo):
            self.assertIn(mo.name, line.availability_explanation)

    def test_one_component_from_its_row(self):
        _order, table_mo = self._made_to_order(2)
        top_move = table_mo.move_raw_ids.filtered(lambda m: m.product_id == self.top)
        self.assertEqual(top_move.fulfilment_status, "not_available")
        top_move.action_fulfilment_make_to_order()
        top_mo = self._children(table_mo, self.top)
        self.assertEqual(top_mo.product_qty, 2)
        self.assertFalse(top_mo.fulfilment_child_ids, "one level only")
        with self.assertRaises(UserError):
            # The database allows one open child per component.
            top_mo.copy({"fulfilment_parent_id": table_mo.id, "fulfilment_mode": "make_to_order"})
            self.env.flush_all()

    def test_only_what_the_parent_misses(self):
        self._stock(self.top, 1)
        _order, table_mo = self._made_to_order(3)
        table_mo.action_fulfilment_make_sub_assemblies()
        self.assertEqual(self._children(table_mo, self.top).product_qty, 2)

    def test_quantities_follow_the_line_while_not_started(self):
        order, table_mo = self._made_to_order(2)
        table_mo.action_fulfilment_make_sub_assemblies()
        top_mo = self._children(table_mo, self.top)
        board_mo = self._children(top_mo, self.board)
        order.order_line.product_uom_qty = 3
        self.assertEqual(table_mo.product_qty, 3)
        self.assertEqual(top_mo.product_qty, 3)
        self.assertEqual(board_mo.product_qty, 6)
        with self.assertRaises(UserError):
            top_mo.product_qty = 5

    def test_cancelling_the_line_cancels_the_unstarted_tree(self):
        order, table_mo = self._made_to_order(2)
        table_mo.action_fulfilment_make_sub_assemblies()
        top_mo = self._children(table_mo, self.top)
        board_mo = self._children(top_mo, self.board)
        board_mo.qty_producing = 1  # started
        order._action_cancel()
        self.assertEqual(table_mo.state, "cancel")
        self.assertEqual(top_mo.state, "cancel")
        self.assertIn(table_mo.name, top_mo.message_ids[0].body)
        self.assertNotEqual(board_mo.state, "cancel")
        self.assertFalse(board_mo.fulfilment_parent_id)
        self.assertEqual(board_mo.fulfilment_mode, "make_in_batch")

    def test_the_wizard_makes_the_tree(self):
        order = self._order([(self.table, 1)])
        self._settle()
        action = self.env["sale.order.line.fulfilment"]._action_open(order.order_line)
        wizard = self.env["sale.order.line.fulfilment"].browse(action["res_id"])
        wizard.with_sub_assemblies = True
        wizard.action_apply()
        table_mo = order.order_line.fulfilment_production_ids
        self.assertEqual(len(table_mo), 1)
        top_mo = self._children(table_mo, self.top)
        self.assertEqual(self._children(top_mo, self.board).product_qty, 2)

    def test_refusals(self):
        batch = self._production(self.table, 1, fulfilment_mode="make_in_batch")
        with self.assertRaisesRegex(UserError, "make-to-order"):
            self.env["sale.fulfilment.tree"]._make_children(batch)
        _order, table_mo = self._made_to_order(1)
        salesman = new_test_user(self.env, "tree_salesman", groups="sales_team.group_sale_salesman")
        with self.assertRaises(AccessError):
            table_mo.with_user(salesman).action_fulfilment_make_sub_assemblies()
        self.assertFalse(table_mo.fulfilment_child_ids)

    def test_a_deeper_tree_books_in_the_same_number_of_queries(self):
        products = (self.table | self.top | self.board | self.leg | self.log).ids
        booking = self.env["sale.fulfilment.booking"]

        def count():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            booking._rebook(products)
            return self.env.cr.sql_log_count - before

        _order, table_mo = self._made_to_order(2)
        count()
        self.env["sale.fulfilment.tree"]._make_children(table_mo)
        self._settle()
        one_level = count()
        top_mo = self._children(table_mo, self.top)
        self.env["sale.fulfilment.tree"]._make_children(top_mo)
        self._settle()
        self.assertTrue(self._children(top_mo, self.board))
        self.assertEqual(count(), one_level)
