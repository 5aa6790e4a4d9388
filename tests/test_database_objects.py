from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL
from odoo.tools.sql import index_exists

from ..hooks import uninstall_hook
from ..models.stock_move import OPEN_MOVES_INDEX
from ..models.stock_move_line import OPEN_LINES_INDEX


@tagged("post_install", "-at_install")
class TestDatabaseObjects(TransactionCase):
    """What the addon creates in the database beside its models' tables."""

    def _sequence_exists(self, name):
        self.env.cr.execute(SQL("SELECT to_regclass(%s) IS NOT NULL", name))
        return self.env.cr.fetchone()[0]

    def test_uninstalling_drops_the_indexes_and_the_rank_sequences(self):
        """The indexes of open moves and move lines (what the booking reads),
        and the sequences new ranks come from, are there once installed; uninstalling
        leaves neither behind on Odoo's tables (the test's transaction is
        rolled back, and them with it)."""
        sequences = [self.env[m]._rank_sequence() for m in ("sale.order", "mrp.production")]
        indexes = (OPEN_MOVES_INDEX, OPEN_LINES_INDEX)
        self.assertTrue(all(index_exists(self.env.cr, index) for index in indexes))
        self.assertTrue(all(self._sequence_exists(name) for name in sequences))
        uninstall_hook(self.env)
        self.assertFalse(any(index_exists(self.env.cr, index) for index in indexes))
        self.assertFalse(any(self._sequence_exists(name) for name in sequences))
