import threading
import time
import uuid

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

WAIT = 30  # seconds; a hang fails the test instead of blocking the run


@tagged("post_install", "-at_install")
class TestDefaultsAtOnce(TransactionCase):
    """Two workers apply a product's default to the same Not available line, in
    two real transactions: one purchase, never two.

    The data is committed for both transactions to see it, and removed again
    afterwards; the test's own cursor is not used.
    """

    def _committed(self, func):
        with self.registry.cursor() as cr:
            return func(api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True}))

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]

        def build(env):
            vendor = env["res.partner"].create({"name": f"Default vendor {tag}"})
            customer = env["res.partner"].create({"name": f"Default customer {tag}"})
            chair = env["product.product"].create(
                {
                    "name": f"Default chair {tag}",
                    "type": "consu",
                    "is_storable": True,
                    "purchase_ok": True,
                    "seller_ids": [Command.create({"partner_id": vendor.id, "price": 10})],
                }
            )
            order = env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "order_line": [Command.create({"product_id": chair.id, "product_uom_qty": 3})],
                }
            )
            order.action_confirm()
            # Set after the confirmation: the line waits for the scheduled action.
            chair.fulfilment_default_mode = "buy"
            return {
                "chair": chair.id,
                "partners": (vendor | customer).ids,
                "order": order.id,
                "line": order.order_line.id,
            }

        self.data = self._committed(build)
        self.addCleanup(self._committed, self._clean)

    def _clean(self, env):
        data = self.data
        po_lines = env["purchase.order.line"].search([("product_id", "=", data["chair"])])
        purchases = po_lines.order_id
        purchases.button_cancel()
        order = env["sale.order"].browse(data["order"])
        order._action_cancel()
        pickings = order.picking_ids | purchases.picking_ids
        moves = env["stock.move"].search([("product_id", "=", data["chair"])])
        moves._action_cancel()
        moves.unlink()
        pickings.unlink()
        purchases.unlink()
        groups = order.procurement_group_id
        order.unlink()
        groups.unlink()
        env["product.product"].browse(data["chair"]).product_tmpl_id.unlink()
        env["res.partner"].browse(data["partners"]).unlink()

    def _purchase_lines(self):
        def read(env):
            return env["purchase.order.line"].search_count(
                [("product_id", "=", self.data["chair"])]
            )

        return self._committed(read)

    def test_one_applies_while_the_other_runs_the_same_moment(self):
        """The second runs while the first has applied but not committed."""
        first_cr = self.registry.cursor()
        try:
            first = api.Environment(first_cr, SUPERUSER_ID, {"tracking_disable": True})
            self.assertEqual(first["sale.fulfilment.defaults"]._cron_apply(), 1)
            first.flush_all()

            def second(env):
                return env["sale.fulfilment.defaults"]._cron_apply()

            self.assertEqual(self._committed(second), 0, "the line is the first one's business")
            first_cr.commit()
        finally:
            first_cr.close()
        self.assertEqual(self._purchase_lines(), 1)

    def test_one_whose_snapshot_predates_the_others_commit_gives_way(self):
        """The second's snapshot shows the line Not available and unanswered;
        the first commits its purchase; the second then runs on that stale
        snapshot: it must see that and give way."""
        second_cr = self.registry.cursor()
        try:
            second = api.Environment(second_cr, SUPERUSER_ID, {"tracking_disable": True})
            second_cr.execute("SELECT 1 FROM sale_order_line WHERE id = %s", [self.data["line"]])

            def first(env):
                return env["sale.fulfilment.defaults"]._cron_apply()

            self.assertEqual(self._committed(first), 1)
            self.assertEqual(second["sale.fulfilment.defaults"]._cron_apply(), 0)
            second_cr.commit()
        finally:
            second_cr.close()
        self.assertEqual(self._purchase_lines(), 1)

        def line_mode(env):
            return env["sale.order.line"].browse(self.data["line"]).fulfilment_mode

        self.assertEqual(self._committed(line_mode), "buy")


@tagged("post_install", "-at_install")
class TestSubAssembliesAtOnce(TransactionCase):
    """Two planners make the same MO's sub-assemblies at once, in two real
    transactions: one tree, and a clear message for the other."""

    def _committed(self, func):
        with self.registry.cursor() as cr:
            return func(api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True}))

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]

        def build(env):
            def product(name):
                return env["product.product"].create(
                    {"name": f"{name} {tag}", "type": "consu", "is_storable": True}
                )

            table, top, board = product("Tree table"), product("Tree top"), product("Tree board")
            for made, part in ((table, top), (top, board)):
                env["mrp.bom"].create(
                    {
                        "product_tmpl_id": made.product_tmpl_id.id,
                        "bom_line_ids": [Command.create({"product_id": part.id, "product_qty": 1})],
                    }
                )
            customer = env["res.partner"].create({"name": f"Tree customer {tag}"})
            order = env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "order_line": [Command.create({"product_id": table.id, "product_uom_qty": 2})],
                }
            )
            order.action_confirm()
            env.flush_all()
            env.cr.precommit.run()
            production = order.order_line._fulfil("make_to_order")
            return {
                "products": (table | top | board).ids,
                "partner": customer.id,
                "order": order.id,
                "production": production.id,
            }

        self.data = self._committed(build)
        self.addCleanup(self._committed, self._clean)

    def _clean(self, env):
        data = self.data
        productions = env["mrp.production"].search([("product_id", "in", data["products"])])
        productions.action_cancel()
        order = env["sale.order"].browse(data["order"])
        order._action_cancel()
        pickings = order.picking_ids
        groups = order.procurement_group_id | productions.procurement_group_id
        moves = env["stock.move"].search([("product_id", "in", data["products"])])
        moves._action_cancel()
        moves.unlink()
        productions.unlink()
        pickings.unlink()
        order.unlink()
        groups.unlink()
        products = env["product.product"].browse(data["products"])
        env["mrp.bom"].search([("product_tmpl_id", "in", products.product_tmpl_id.ids)]).unlink()
        products.product_tmpl_id.unlink()
        env["res.partner"].browse(data["partner"]).unlink()

    def _waiting_on_a_lock(self, pid):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", (pid,)
            )
            row = cr.fetchone()
            return bool(row and row[0])

    def _second_planner(self, results):
        try:
            with self.registry.cursor() as cr:
                cr.execute("SET lock_timeout = %s", (f"{WAIT}s",))
                cr.execute("SELECT pg_backend_pid()")
                results["pid"] = cr.fetchone()[0]
                env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                production = env["mrp.production"].browse(self.data["production"])
                try:
                    production.action_fulfilment_make_sub_assemblies()
                    results["second"] = "made"
                except UserError as error:
                    results["second"] = str(error)
                cr.rollback()
                cr.execute("RESET lock_timeout")
        except Exception as error:  # reported by the test
            results["second"] = error

    def test_the_second_planner_gets_a_clear_message_and_makes_nothing(self):
        """The second presses while the first's tree is made but not committed:
        the database makes it wait for the first, then refuse it."""
        results = {}
        first_cr = self.registry.cursor()
        try:
            first = api.Environment(first_cr, SUPERUSER_ID, {"tracking_disable": True})
            first["mrp.production"].browse(
                self.data["production"]
            ).action_fulfilment_make_sub_assemblies()
            first.flush_all()
            second = threading.Thread(target=self._second_planner, args=(results,))
            second.start()
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline and not (
                results.get("pid") and self._waiting_on_a_lock(results["pid"])
            ):
                time.sleep(0.05)
            self.assertTrue(self._waiting_on_a_lock(results["pid"]), "no overlap")
            first_cr.commit()
        finally:
            first_cr.close()
        second.join(WAIT * 2)
        self.assertFalse(second.is_alive(), "the second planner hung")
        self.assertIn("Another user just made", str(results["second"]))

        def tree(env):
            children = env["mrp.production"].search(
                [("fulfilment_parent_id", "=", self.data["production"])]
            )
            return [(c.product_id.id, c.product_qty) for c in children], len(
                children.fulfilment_child_ids
            )

        # One top MO (the boards are bought: no deeper level).
        self.assertEqual(self._committed(tree), ([(self.data["products"][1], 2.0)], 0))

        def again(env):
            production = env["mrp.production"].browse(self.data["production"])
            return env["sale.fulfilment.tree"]._make_children(production, recursive=True).ids

        self.assertEqual(self._committed(again), [], "made once: the component is Expected now")
