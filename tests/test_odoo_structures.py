from odoo import Command
from odoo.tests import tagged

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestLineWarehouse(FulfilmentCase):
    """Odoo ships a line from its own warehouse when its route says so."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.annex = cls.env["stock.warehouse"].create({"name": "Annex", "code": "ANX"})
        cls.annex_route = cls.annex.delivery_route_id
        cls.annex_route.sale_selectable = True

    def _routed_order(self, product, qty):
        order = self._order([(product, qty)], confirm=False)
        order.order_line.route_id = self.annex_route
        order.action_confirm()
        return order

    def test_line_routed_to_another_warehouse_books_its_stock(self):
        self._stock(self.chair, 3, self.annex.lot_stock_id)
        routed = self._routed_order(self.chair, 3)
        plain = self._order([(self.chair, 3)])
        self._settle()
        self.assertEqual(routed.order_line.warehouse_id, self.annex)
        self.assertEqual(routed.order_line.availability_status, "in_stock")
        # The main warehouse has none: the annex's chairs are not its stock.
        self.assertEqual(plain.order_line.availability_status, "not_available")
        self.assertEqual(plain.order_line.missing_qty, 3)
        annex = self.chair.with_context(warehouse_id=self.annex.id)
        main = self.chair.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual((annex.committed_qty, main.committed_qty), (3, 3))

    def test_options_act_in_the_lines_warehouse(self):
        routed = self._routed_order(self.table, 1)
        production = routed.order_line._fulfil("make_to_order")
        self.assertEqual(production.picking_type_id, self.annex.manu_type_id)
        batch = self._routed_order(self.table, 2).order_line._fulfil("make_in_batch")
        self.assertEqual(batch.picking_type_id.warehouse_id, self.annex)
        self.chair.purchase_ok = True
        purchase = self._routed_order(self.chair, 2).order_line._fulfil("buy")
        self.assertEqual(purchase.picking_type_id, self.annex.in_type_id)
        self._settle()
        self.assertEqual(
            self.chair.with_context(warehouse_id=self.annex.id).expected_qty,
            2,
        )


@tagged("post_install", "-at_install")
class TestUnits(FulfilmentCase):
    def test_dozens_line_partly_delivered_leaves_no_noise(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        self._stock(self.chair, 1)
        order = self._order([], confirm=False)
        order.order_line = [
            Command.create(
                {"product_id": self.chair.id, "product_uom_qty": 1, "product_uom": dozen.id}
            )
        ]
        order.action_confirm()
        # One unit leaves, counted in units on the move line.
        move = order.order_line.move_ids
        move.move_line_ids.write({"product_uom_id": self.chair.uom_id.id, "quantity": 1})
        move.picked = True
        move.picking_id.with_context(skip_backorder=True, skip_sms=True).button_validate()
        self._settle()
        line = order.order_line
        self.assertEqual(line.qty_delivered, 0.08, "Odoo's own figure, rounded in dozens")
        self.assertEqual(line.missing_qty, 11)
        self.assertEqual(self.chair.with_context(warehouse_id=self.warehouse.id).committed_qty, 11)
