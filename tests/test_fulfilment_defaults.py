from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestDefaultFulfilment(FulfilmentCase):
    """A product's default fulfilment applies to its lines that come out Not available."""

    def _messages(self, order):
        return order.message_ids.mapped("body")

    def _purchase_lines(self, product):
        self.env.flush_all()
        return self.env["purchase.order.line"].search([("product_id", "=", product.id)])

    def _cron_triggers(self):
        cron = self.env.ref("sale_fulfilment.ir_cron_apply_defaults")
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])

    def test_buy_applies_at_confirmation_to_a_line_not_available(self):
        self.chair.fulfilment_default_mode = "buy"
        order = self._order([(self.chair, 3)])
        line = order.order_line
        self.assertEqual(line.fulfilment_mode, "buy")
        po_line = self._purchase_lines(self.chair)
        self.assertEqual(po_line.product_qty, 3)
        self.assertEqual(po_line.order_id.partner_id, self.vendor)
        self.assertEqual(po_line.order_id.state, "purchase")
        self.assertEqual(po_line.order_id.origin, order.name)
        self._settle()
        self.assertEqual(line.availability_status, "expected")
        self.assertTrue(
            any("Buy" in body and po_line.order_id.name in body for body in self._messages(order)),
            self._messages(order),
        )

    def test_nothing_applies_to_a_line_in_stock_or_without_default(self):
        self._stock(self.chair, 10)
        self.chair.fulfilment_default_mode = "buy"
        in_stock = self._order([(self.chair, 3)])
        no_default = self._order([(self.leg, 3)])
        self.assertFalse(in_stock.order_line.fulfilment_mode)
        self.assertFalse(no_default.order_line.fulfilment_mode)
        self.assertFalse(self._purchase_lines(self.chair))
        self.assertEqual(in_stock.order_line.availability_status, "in_stock")

    def test_only_lines_not_available_after_higher_ranked_orders_and_supply(self):
        self._stock(self.chair, 5)
        self._purchase(self.chair, 4)
        self.chair.fulfilment_default_mode = "buy"
        first = self._order([(self.chair, 5)])  # from stock
        second = self._order([(self.chair, 4)])  # from the receipt
        third = self._order([(self.chair, 2)])  # nothing left
        self.assertEqual(first.order_line.availability_status, "in_stock")
        self.assertEqual(second.order_line.availability_status, "expected")
        self.assertFalse(any((first | second).order_line.mapped("fulfilment_mode")))
        self.assertEqual(third.order_line.fulfilment_mode, "buy")
        bought = third.order_line.fulfilment_purchase_line_ids
        self.assertEqual(bought.product_qty, 2)
        self._settle()
        self.assertEqual(third.order_line.availability_status, "expected")

    def test_make_to_order_applies_to_a_made_product(self):
        self.table.fulfilment_default_mode = "make_to_order"
        order = self._order([(self.table, 2)])
        line = order.order_line
        production = line.fulfilment_production_ids
        self.assertEqual(line.fulfilment_mode, "make_to_order")
        self.assertEqual(production.sale_line_id, line)
        self.assertEqual(production.product_qty, 2)
        self.assertEqual(production.state, "confirmed")

    def test_make_in_batch_rounds_to_the_bom_and_the_batch_size(self):
        self.bom.product_qty = 2
        self.table.fulfilment_default_mode = "make_in_batch"
        self.table.fulfilment_batch_size = 5
        order = self._order([(self.table, 3)])
        production = order.order_line.fulfilment_production_ids
        self.assertEqual(order.order_line.fulfilment_mode, "make_in_batch")
        # 3 missing: multiples of 2 (the BoM) and of 5 (the batch): 10.
        self.assertEqual(production.product_qty, 10)
        self.assertFalse(production.sale_line_id)

    def test_buy_rounds_to_the_reordering_multiple_and_the_vendor_minimum(self):
        self.chair.seller_ids.min_qty = 20
        self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.chair.id,
                "warehouse_id": self.warehouse.id,
                "location_id": self.stock_location.id,
                "product_min_qty": 0,
                "product_max_qty": 0,
                "qty_multiple": 12,
                # Not Odoo's own replenishment at confirmation: a rule for its multiple.
                "trigger": "manual",
            }
        )
        self.chair.fulfilment_default_mode = "buy"
        order = self._order([(self.chair, 3)])
        # At least 20 (the vendor), in twelves (the rule): 24.
        self.assertEqual(order.order_line.fulfilment_purchase_line_ids.product_qty, 24)

    def test_the_wizard_suggests_the_same_rounded_quantities(self):
        self.bom.product_qty = 4
        order = self._order([(self.table, 3)])
        self._settle()
        action = self.env["sale.order.line.fulfilment"]._action_open(
            order.order_line, mode="make_in_batch"
        )
        wizard = self.env["sale.order.line.fulfilment"].browse(action["res_id"])
        self.assertEqual(wizard.line_ids.quantity, 4)

    def test_a_default_that_cannot_apply_says_why_once_and_confirms(self):
        self.leg.sale_ok = True
        self.leg.fulfilment_default_mode = "make_to_order"  # the leg has no BoM
        order = self._order([(self.leg, 3)])
        line = order.order_line
        self.assertEqual(order.state, "sale")
        self.assertFalse(line.fulfilment_mode)
        self.assertIn("no bill of materials", line.fulfilment_default_note)
        notes = [body for body in self._messages(order) if "could not apply" in body]
        self.assertEqual(len(notes), 1)
        self.env["sale.fulfilment.defaults"]._cron_apply()
        self.env["sale.fulfilment.defaults"]._cron_apply()
        notes = [body for body in self._messages(order) if "could not apply" in body]
        self.assertEqual(len(notes), 1, "the scheduled action does not repeat the reason")

    def test_a_salesman_confirming_gets_the_default_without_purchase_rights(self):
        salesman = new_test_user(
            self.env, "defaults_salesman", groups="sales_team.group_sale_salesman"
        )
        self.assertFalse(salesman.has_group("purchase.group_purchase_user"))
        self.chair.fulfilment_default_mode = "buy"
        order = self._order([(self.chair, 3)], confirm=False)
        order.user_id = salesman
        order.with_user(salesman).action_confirm()
        self.assertEqual(order.order_line.fulfilment_mode, "buy")
        self.assertEqual(self._purchase_lines(self.chair).product_qty, 3)

    def test_a_line_that_becomes_not_available_later(self):
        """At once: the booking triggers the scheduled action; By the scheduled
        action: it waits for the next run. Either way the run applies it."""
        for trigger, product in (("at_once", self.chair), ("scheduled", self.table)):
            with self.subTest(trigger=trigger):
                self._stock(product, 3)
                product.write(
                    {"fulfilment_default_mode": "buy", "fulfilment_default_trigger": trigger}
                )
                if product == self.table:
                    product.purchase_ok = True
                    product.seller_ids = [Command.create({"partner_id": self.vendor.id})]
                order = self._order([(product, 3)])
                self._settle()
                self.assertEqual(order.order_line.availability_status, "in_stock")
                self.assertFalse(order.order_line.fulfilment_mode)
                triggers = self._cron_triggers()
                # The stock is counted down to nothing: the line is Not available.
                quant = self.env["stock.quant"].search(
                    [("product_id", "=", product.id), ("location_id", "=", self.stock_location.id)]
                )
                quant.with_context(inventory_mode=True).inventory_quantity = 0
                quant.action_apply_inventory()
                self._settle()
                self.assertEqual(order.order_line.availability_status, "not_available")
                self.assertEqual(
                    self._cron_triggers() > triggers,
                    trigger == "at_once",
                    "only an At once product triggers the scheduled action",
                )
                self.env["sale.fulfilment.defaults"]._cron_apply()
                self.assertEqual(order.order_line.fulfilment_mode, "buy")
                self._settle()
                self.assertEqual(order.order_line.availability_status, "expected")

    def test_a_default_set_later_reaches_lines_already_not_available(self):
        order = self._order([(self.chair, 3)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "not_available")
        triggers = self._cron_triggers()
        self.chair.fulfilment_default_mode = "buy"
        self.assertGreater(self._cron_triggers(), triggers)
        self.env["sale.fulfilment.defaults"]._cron_apply()
        self.assertEqual(order.order_line.fulfilment_mode, "buy")

    def test_confirming_many_orders_applies_in_bulk(self):
        self.chair.fulfilment_default_mode = "buy"
        orders = self._order([(self.chair, 2)], confirm=False)
        for _i in range(4):
            orders |= self._order([(self.chair, 2)], confirm=False)
        orders.action_confirm()
        self.assertEqual(set(orders.order_line.mapped("fulfilment_mode")), {"buy"})
        po_lines = self._purchase_lines(self.chair)
        self.assertEqual(len(po_lines.order_id), 1, "one purchase order for all of them")
        self.assertEqual(sum(po_lines.mapped("product_qty")), 10)
        for order in orders:
            self.assertTrue(any("its default" in body for body in self._messages(order)))
