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
