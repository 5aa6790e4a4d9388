from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.sale_fulfilment import prepared
from odoo.addons.sale_fulfilment.pg_array import pg_array

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestPreparedStatements(FulfilmentCase):
    """The booking's statements are planned once per connection; a connection
    whose statements the server forgot (a pooling proxy) never fails a save."""

    def setUp(self):
        super().setUp()
        self.cr = self.env.cr
        self._forget_statements()
        self.addCleanup(self._forget_statements)
        self.addCleanup(prepared._state.update, enabled=True)

    def _forget_statements(self):
        self.env.cr.execute("DEALLOCATE ALL")
        self.env.cr._cnx.__dict__.pop(prepared._ATTRIBUTE, None)

    def _statements(self):
        self.cr.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'sale_fulfilment_%'"
        )
        return self.cr.fetchone()[0]

    def _status(self, line):
        line.invalidate_recordset()
        return line.availability_status

    def test_bookings_reuse_their_statements_and_read_fresh_data(self):
        order = self._order([(self.chair, 3)])
        line = order.order_line
        booking = self.env["sale.fulfilment.booking"]
        booking._rebook(self.chair.ids)
        prepared_once = self._statements()
        self.assertGreaterEqual(prepared_once, 4, "the gathering statements are prepared")
        self.assertEqual(self._status(line), "not_available")

        self._stock(self.chair, 3)
        booking._rebook(self.chair.ids)
        self.assertEqual(self._statements(), prepared_once, "the same statements, run again")
        self.assertEqual(self._status(line), "in_stock")

    def test_preparing_adds_no_query(self):
        """PREPARE goes with its first EXECUTE: query counts do not depend on
        what the connection ran before."""
        self._order([(self.chair, 3)])
        booking = self.env["sale.fulfilment.booking"]
        booking._rebook(self.chair.ids)
        counts = []
        for forget in (True, False):
            if forget:
                self._forget_statements()
            before = self.cr.sql_log_count
            booking._rebook(self.chair.ids)
            counts.append(self.cr.sql_log_count - before)
        self.assertGreater(self._statements(), 0)
        self.assertEqual(counts[0], counts[1])

    def test_lost_statements_give_way_and_the_save_goes_through(self):
        order = self._order([(self.chair, 2)])
        self.env["sale.fulfilment.booking"]._rebook(self.chair.ids)
        # The server forgets them (a transaction-pooling proxy hands the next
        # transaction another session): the connection still lists them.
        self.cr.execute("DEALLOCATE ALL")

        self._stock(self.chair, 2)
        self.env.flush_all()
        self.cr.flush()  # the commit-time booking: it must not raise

        self.assertFalse(prepared.enabled(), "plain statements from now on")
        self.cr.execute(
            "SELECT product_id FROM sale_fulfilment_rebook_queue WHERE product_id = %s",
            self.chair.ids,
        )
        self.assertTrue(self.cr.fetchall(), "left for the booking after the commit")
        self.env["sale.fulfilment.rebook"]._book_queued(self.chair.ids)
        self.assertEqual(self._status(order.order_line), "in_stock")

    def test_a_statement_of_unknown_fate_is_asked_about_not_prepared_twice(self):
        query = SQL("SELECT cardinality(%s::int[])", prepared.Bound(pg_array([1, 2, 3])))
        prepared.execute(self.cr, query)
        self.assertEqual(self.cr.fetchone()[0], 3)
        known = self.cr._cnx.__dict__[prepared._ATTRIBUTE]
        # As after a PREPARE whose statement failed at EXECUTE.
        for name in known:
            known[name] = None
        prepared.execute(self.cr, query)
        self.assertEqual(self.cr.fetchone()[0], 3)

    def test_many_ids_run_plainly(self):
        query = SQL("SELECT cardinality(%s::int[])", prepared.Bound(pg_array(range(1000))))
        prepared.execute(self.cr, query)
        self.assertEqual(self.cr.fetchone()[0], 1000)
        self.assertEqual(self._statements(), 0)
