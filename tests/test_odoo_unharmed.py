from odoo import Command
from odoo.tests import tagged

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestOdooUnharmed(FulfilmentCase):
    """What Odoo does by itself keeps working with the addon installed."""

    def test_quant_without_quantity_does_not_block_the_save(self):
        """Odoo leaves quants whose quantity is NULL (a reservation without
        stock, a count on a new location): the booking counts them as zero."""
        order = self._order([(self.chair, 2)])
        self._stock(self.chair, 5)
        empty = self.env["stock.location"].create(
            {"name": "New shelf", "usage": "internal", "location_id": self.stock_location.id}
        )
        quant = self.env["stock.quant"].create(
            {"product_id": self.chair.id, "location_id": empty.id, "quantity": 0}
        )
        self.env.flush_all()
        self.env.cr.execute("UPDATE stock_quant SET quantity = NULL WHERE id = %s", [quant.id])
        quant.invalidate_recordset()
        self.env["sale.fulfilment.rebook"]._mark_products(self.chair.ids)
        self._settle()
        self.assertEqual(order.order_line.availability_status, "in_stock")
        self.assertEqual(self.chair.with_context(warehouse_id=self.warehouse.id).in_stock_qty, 5)

    def test_by_product_changed_on_a_confirmed_mo(self):
        """Changing the product of an MO's by-product (Odoo replaces its move
        lines during the write) saves and books."""
        offcut = self._product("Oak offcut")
        sawdust = self._product("Sawdust")
        self.bom.byproduct_ids = [Command.create({"product_id": offcut.id, "product_qty": 1})]
        production = self.env["mrp.production"].create(
            {"product_id": self.table.id, "product_qty": 1, "bom_id": self.bom.id}
        )
        production.action_confirm()
        production.move_byproduct_ids.write({"product_id": sawdust.id})
        self._settle()
        self.assertEqual(production.move_byproduct_ids.product_id, sawdust)
        self.assertEqual(sawdust.with_context(warehouse_id=self.warehouse.id).expected_qty, 1)
        self.assertEqual(offcut.with_context(warehouse_id=self.warehouse.id).expected_qty, 0)

    def test_quotation_of_services_costs_no_booking(self):
        """A draft order (of services or not) neither takes a rank nor books:
        the addon adds nothing to Odoo's own order creation."""
        service = self.env["product.product"].create({"name": "Assembly", "type": "service"})
        self._settle()
        spy = []
        rebook = type(self.env["sale.fulfilment.booking"])._rebook

        def recording(booking, product_ids=None, kits=None):
            spy.append(product_ids)
            return rebook(booking, product_ids, kits=kits)

        self.patch(type(self.env["sale.fulfilment.booking"]), "_rebook", recording)
        quotation = self._order([(service, 1), (self.chair, 2)], confirm=False)
        self._settle()
        self.assertEqual(quotation.fulfilment_priority, 0)
        self.assertEqual(spy, [])
        quotation.action_confirm()
        self._settle()
        self.assertTrue(quotation.fulfilment_priority)
        self.assertEqual(spy, [[self.chair.id]])

    def test_absurd_quantity_leaves_everyones_figures_readable(self):
        self._stock(self.chair, 5)
        first = self._order([(self.chair, 2)])
        absurd = self._order([(self.chair, 1e306)])
        self._settle()
        self.assertEqual(first.order_line.availability_status, "in_stock")
        self.assertEqual(absurd.order_line.availability_status, "not_available")
        figures = self.chair.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual(figures.in_stock_qty, 5)
        self.assertGreater(figures.committed_qty, 1e300)
        self.assertLess(figures.calculated_stock_qty, -1e300)
        self.assertTrue(absurd.order_line.availability_explanation)

    def test_booking_of_a_product_plans_without_jit(self):
        """A product with a long history of done moves makes PostgreSQL expect
        thousands of open ones and compile its queries with JIT, seconds per
        save: a booking, of some products or of all, reads and writes
        without it."""
        self._order([(self.chair, 1)])
        production = self.env["mrp.production"].create(
            {"product_id": self.table.id, "product_qty": 1, "bom_id": self.bom.id}
        )
        production.action_confirm()
        self._settle()
        booking_class = type(self.env["sale.fulfilment.booking"])
        seen = []

        def spying(name):
            original = getattr(booking_class, name)

            def spy(booking, *args, **kwargs):
                booking.env.cr.execute("SHOW jit")
                seen.append((name, booking.env.cr.fetchone()[0]))
                return original(booking, *args, **kwargs)

            self.patch(booking_class, name, spy)

        for name in ("_fetch_supplies", "_fetch_component_demands", "_write_productions"):
            spying(name)
        self.env["sale.fulfilment.booking"]._rebook(self.chair.ids)
        self.env["sale.fulfilment.booking"]._rebook((self.chair | self.leg).ids)
        self.env["sale.fulfilment.booking"]._rebook()
        self.assertEqual(len(seen), 9)
        self.assertEqual({setting for _name, setting in seen}, {"off"}, seen)

    def test_planner_settings_put_back_after_a_booking(self):
        """The booking sets PostgreSQL's planner for its own queries (join order,
        no JIT); the rest of the user's transaction plans as it would."""
        before = {}
        for setting in ("join_collapse_limit", "from_collapse_limit", "jit"):
            self.env.cr.execute(f"SHOW {setting}")
            before[setting] = self.env.cr.fetchone()[0]
        self._order([(self.chair, 1)])
        self._settle()
        self.env["sale.fulfilment.booking"]._rebook(self.chair.ids)
        self.env["sale.fulfilment.booking"]._rebook()
        for setting in ("join_collapse_limit", "from_collapse_limit", "jit"):
            self.env.cr.execute(f"SHOW {setting}")
            self.assertEqual(self.env.cr.fetchone()[0], before[setting], setting)
