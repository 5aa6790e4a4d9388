import threading
import time
import uuid

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged

WAIT = 30  # seconds; a hang fails the test instead of blocking the run


@tagged("post_install", "-at_install")
class TestConcurrentMakeToOrder(TransactionCase):
    """Two planners answer the same line at the same moment, in two real transactions.

    The data has to be committed for both transactions to see it, so it is
    built in its own cursor and removed again afterwards; the test's own
    cursor is not used.
    """

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

            leg, table = product("Concurrent leg"), product("Concurrent table")
            env["mrp.bom"].create(
                {
                    "product_tmpl_id": table.product_tmpl_id.id,
                    "bom_line_ids": [Command.create({"product_id": leg.id, "product_qty": 4})],
                }
            )
            customer = env["res.partner"].create({"name": f"Concurrent customer {tag}"})
            order = env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "order_line": [Command.create({"product_id": table.id, "product_uom_qty": 2})],
                }
            )
            order.action_confirm()
            return {
                "products": (table | leg).ids,
                "table": table.id,
                "partner": customer.id,
                "order": order.id,
                "line": order.order_line.id,
            }

        self.data = self._committed(build)
        self.addCleanup(self._committed, self._clean)

    def _clean(self, env):
        data = self.data
        productions = env["mrp.production"].search([("product_id", "=", data["table"])])
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

    def _planner(self, results, name, before_commit=None, before_start=None):
        """One user pressing Apply: a request with Odoo's retries on concurrency errors."""
        try:
            if before_start:
                before_start()
            with self.registry.cursor() as cr:
                cr.execute("SET lock_timeout = %s", (f"{WAIT}s",))
                try:
                    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
                    cr.execute("SELECT pg_backend_pid()")
                    results[f"{name}_pid"] = cr.fetchone()[0]
                    line = env["sale.order.line"].browse(self.data["line"])

                    def apply():
                        productions = line._fulfil("make_to_order")
                        env.flush_all()
                        if before_commit:
                            before_commit()
                        return productions.ids

                    results[name] = retrying(apply, env)
                finally:
                    if not cr.closed:
                        cr.rollback()
                        cr.execute("RESET lock_timeout")
        except Exception as error:  # reported by the test
            results[name] = error

    def test_two_planners_at_once_get_one_mo_and_one_clear_error(self):
        results = {}
        first_applied = threading.Event()
        second_started = threading.Event()

        def hold_commit_until_the_second_waits():
            """The first keeps its MO uncommitted until the second is blocked by it."""
            first_applied.set()
            second_started.wait(WAIT)
            deadline = time.monotonic() + WAIT
            while time.monotonic() < deadline:
                pid = results.get("second_pid")
                if pid and self._waiting_on_a_lock(pid):
                    results["second_blocked"] = True
                    return
                time.sleep(0.05)

        def start_after_the_first():
            first_applied.wait(WAIT)
            second_started.set()

        first = threading.Thread(
            target=self._planner,
            args=(results, "first"),
            kwargs={"before_commit": hold_commit_until_the_second_waits},
        )
        first.start()
        # The first must hold its uncommitted MO before the second reads anything.
        self.assertTrue(first_applied.wait(WAIT))
        second = threading.Thread(
            target=self._planner,
            args=(results, "second"),
            kwargs={"before_start": start_after_the_first},
        )
        second.start()
        first.join(WAIT * 3)
        second.join(WAIT * 3)
        self.assertFalse(first.is_alive() or second.is_alive(), "a planner hung")

        self.assertTrue(results.get("second_blocked"), "the two transactions did not overlap")
        self.assertIsInstance(results["first"], list, results["first"])
        self.assertIsInstance(results["second"], UserError, results["second"])
        self.assertTrue(
            "already has the make-to-order" in str(results["second"])
            or "just created" in str(results["second"]),
            str(results["second"]),
        )

        def check(env):
            productions = env["mrp.production"].search([("sale_line_id", "=", self.data["line"])])
            self.assertEqual(productions.ids, results["first"])
            self.assertEqual(productions.fulfilment_mode, "make_to_order")
            self.assertEqual(productions.state, "confirmed")
            self.assertEqual(productions.product_qty, 2)
            line = env["sale.order.line"].browse(self.data["line"])
            self.assertEqual(line.fulfilment_mode, "make_to_order")
            if "already has" in str(results["second"]):
                self.assertIn(productions.name, str(results["second"]))

        self._committed(check)
