import threading

from odoo import SUPERUSER_ID, api
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestRebuildConcurrency(TransactionCase):
    """Two full rebuilds in two real transactions, as two cron workers would."""

    def _statuses(self, cr):
        cr.execute(
            "SELECT id, status, missing_qty FROM sale_fulfilment_line_availability ORDER BY id"
        )
        return cr.fetchall()

    def test_two_rebuilds_at_once_neither_deadlock_nor_double_book(self):
        errors = []
        barrier = threading.Barrier(2, timeout=60)

        def rebuild():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    barrier.wait()
                    env["sale.fulfilment.booking"]._cron_rebuild()
            except Exception as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=rebuild) for _i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertFalse([t for t in threads if t.is_alive()], "a rebuild is stuck")
        self.assertEqual(errors, [])
        # Both wrote the same booking as one rebuild alone would.
        with self.registry.cursor() as cr:
            after_two = self._statuses(cr)
            api.Environment(cr, SUPERUSER_ID, {})["sale.fulfilment.booking"]._rebook(None)
            self.assertEqual(self._statuses(cr), after_two)
            cr.rollback()

    def test_booking_does_not_wait_for_a_user_saving_the_order(self):
        """A user's save holds the rows of an order and its line; the re-booking
        of that line's product at another user's commit goes through anyway."""
        line = self.env.ref("sale_fulfilment.sale_order_cafe_line_chair", raise_if_not_found=False)
        if not line:
            self.skipTest("installed without demo data")
        order = line.order_id
        with self.registry.cursor() as user_cr, self.registry.cursor() as booking_cr:
            user_cr.execute(
                "UPDATE sale_order_line SET write_date = now() WHERE id = %s", [line.id]
            )
            user_cr.execute("UPDATE sale_order SET write_date = now() WHERE id = %s", [order.id])
            booking_cr.execute("SET LOCAL lock_timeout = '3s'")
            # Stale results, so that the booking has this line and order to write.
            booking_cr.execute(
                "DELETE FROM sale_fulfilment_line_availability WHERE id = %s;"
                "DELETE FROM sale_fulfilment_order_availability WHERE id = %s",
                [line.id, order.id],
            )
            env = api.Environment(booking_cr, SUPERUSER_ID, {})
            env["sale.fulfilment.booking"]._rebook(line.product_id.ids)
            self.assertEqual(env["sale.order.line"].browse(line.id).availability_status, "expected")
            self.assertEqual(env["sale.order"].browse(order.id).availability_status, "expected")
            booking_cr.rollback()
            user_cr.rollback()
