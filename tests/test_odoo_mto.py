from odoo import Command
from odoo.tests import tagged

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestOdooReplenishOnOrder(FulfilmentCase):
    """Odoo's own Replenish on Order route makes a supply for one delivery and
    reserves it for that delivery when it comes, whatever the ranks: the line
    books it first, and only the rest of its need in its rank."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mto_route = cls.env.ref("stock.route_warehouse0_mto")
        cls.mto_route.write({"active": True, "sale_selectable": True})
        cls.table.route_ids = [Command.set(cls.warehouse.manufacture_pull_id.route_id.ids)]
        cls.chair.route_ids = [Command.set(cls.env.ref("purchase_stock.route_warehouse0_buy").ids)]

    def _mto_order(self, product, qty):
        order = self._order([(product, qty)], confirm=False)
        order.order_line.route_id = self.mto_route
        order.action_confirm()
        return order

    def _chained_purchase(self, order):
        purchase = self.env["purchase.order.line"].search(
            [("product_id", "=", order.order_line.product_id.id)]
        )
        self.assertEqual(len(purchase), 1)
        purchase.order_id.button_confirm()
        return purchase.order_id

    def test_an_mo_made_for_a_delivery_serves_that_line(self):
        first = self._order([(self.table, 1)])
        self._settle()
        # Confirmed at the bottom, its MO made in the same transaction.
        chained = self._mto_order(self.table, 1)
        production = self.env["mrp.production"].search([("product_id", "=", self.table.id)])
        self.assertEqual(len(production), 1)
        self._settle()
        line = chained.order_line
        self.assertEqual(line.availability_status, "expected")
        self.assertIn(production.name, line.availability_explanation)
        self.assertEqual(first.order_line.availability_status, "not_available")
        self.assertEqual(first.order_line.missing_qty, 1)

    def test_a_purchase_made_for_a_delivery_serves_that_line(self):
        first = self._order([(self.chair, 2)])
        chained = self._mto_order(self.chair, 2)
        purchase = self._chained_purchase(chained)
        self._settle()
        self.assertEqual(chained.order_line.availability_status, "expected")
        self.assertIn(purchase.name, chained.order_line.availability_explanation)
        self.assertEqual(first.order_line.availability_status, "not_available")
        self.assertEqual(first.order_line.missing_qty, 2)
        figures = self.chair.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual((figures.expected_qty, figures.committed_qty), (2, 4))

    def test_an_order_confirmed_beside_a_chained_supply_gets_none_of_it(self):
        chained = self._mto_order(self.chair, 2)
        self._chained_purchase(chained)
        self._settle()
        late = self._order([(self.chair, 1)])
        self._settle()
        self.assertEqual(late.order_line.availability_status, "not_available")
        self.assertEqual(chained.order_line.availability_status, "expected")
        # A drag of the late order to the top changes nothing either.
        (late | chained)._set_ranks()
        self._settle()
        self.assertEqual(late.order_line.availability_status, "not_available")
        self.assertEqual(chained.order_line.availability_status, "expected")

    def test_goods_received_for_a_delivery_stay_its_own(self):
        self._stock(self.chair, 1)
        first = self._order([(self.chair, 2)])
        chained = self._mto_order(self.chair, 2)
        purchase = self._chained_purchase(chained)
        receipt = purchase.picking_ids
        receipt.move_ids.write({"quantity": 2, "picked": True})
        receipt.button_validate()
        self._settle()
        self.assertEqual(chained.order_line.availability_status, "in_stock")
        self.assertEqual(chained.order_line.move_ids.quantity, 2, "Odoo reserved them for it")
        # The first order shares only the chair that was in stock.
        self.assertEqual(first.order_line.availability_status, "not_available")
        self.assertEqual(first.order_line.missing_qty, 1)
        self.assertEqual(first.order_line.move_ids.quantity, 1)
        # As a full rebuild books it.
        self.env["sale.fulfilment.rebook"]._rebuild()
        self.assertEqual(chained.order_line.availability_status, "in_stock")
        self.assertEqual(first.order_line.missing_qty, 1)

    def test_more_than_the_chained_supply_books_the_rest_in_rank(self):
        chained = self._mto_order(self.chair, 2)
        self._chained_purchase(chained)
        chained.order_line.product_uom_qty = 3  # one more than was bought for it
        urgent = self._order([(self.chair, 1)])
        (urgent | chained)._set_ranks()
        self._settle()
        # The purchase is the chained line's: the urgent order gets none of it.
        self.assertEqual(urgent.order_line.availability_status, "not_available")
        line = chained.order_line
        self.assertEqual(line.availability_status, "not_available")
        self.assertEqual(line.missing_qty, 1)

    def test_a_kit_bought_for_a_delivery_serves_that_kit_line(self):
        kit = self._kit_product()  # 4 legs and a top
        buy = self.env.ref("purchase_stock.route_warehouse0_buy")
        for component in (self.leg, self.top):
            component.write(
                {
                    "purchase_ok": True,
                    "route_ids": [Command.set(buy.ids)],
                    "seller_ids": [Command.create({"partner_id": self.vendor.id, "price": 5})],
                }
            )
        legs = self._order([(self.leg, 4)])
        chained = self._mto_order(kit, 1)
        purchases = self.env["purchase.order"].search([("partner_id", "=", self.vendor.id)])
        purchases.button_confirm()
        self._settle()
        self.assertEqual(chained.order_line.availability_status, "expected")
        self.assertEqual(legs.order_line.availability_status, "not_available")
        self.assertEqual(legs.order_line.missing_qty, 4)

    def test_goods_bought_for_a_delivery_stay_its_own_through_a_two_step_delivery(self):
        self.warehouse.delivery_steps = "pick_ship"
        self.mto_route.rule_ids.filtered(
            lambda rule: rule.picking_type_id.warehouse_id == self.warehouse
        ).active = True
        first = self._order([(self.chair, 2)])
        chained = self._mto_order(self.chair, 2)
        purchase = self._chained_purchase(chained)
        self._settle()
        self.assertEqual(chained.order_line.availability_status, "expected")
        self.assertEqual(first.order_line.availability_status, "not_available")
        receipt = purchase.picking_ids
        receipt.move_ids.write({"quantity": 2, "picked": True})
        receipt.button_validate()
        pick = chained.picking_ids.filtered(lambda p: p.state == "assigned")
        self.assertEqual(len(pick), 1, "the pick reserved what came in for it")
        pick.move_ids.write({"quantity": 2, "picked": True})
        pick.button_validate()
        self._settle()
        ship = chained.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        self.assertEqual(ship.move_ids.quantity, 2, "Odoo reserved the picked chairs")
        self.assertEqual(chained.order_line.availability_status, "in_stock")
        self.assertEqual(first.order_line.availability_status, "not_available")
