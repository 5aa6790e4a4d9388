from odoo.tests import HttpCase, tagged

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestOneSignal(HttpCase, FulfilmentCase):
    """A sales line answers "will this ship?" once: the addon's badge where it
    books the line, Odoo's forecast icon where it does not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.signal_chair = cls._product("Signal Chair", sale_ok=True)
        cls.signal_stool = cls._product("Signal Stool", sale_ok=True)

    def _open(self, order, tour):
        self._settle()
        self.start_tour(f"/odoo/sales/{order.id}", tour, login="admin")

    def test_booked_line_shows_the_badge_alone(self):
        order = self._order([(self.signal_chair, 2)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "not_available")
        # Odoo would show its icon here: the addon's template is what hides it.
        self.assertTrue(order.order_line.display_qty_widget)
        self._open(order, "sale_fulfilment_one_signal_tour")

    def test_quotation_keeps_odoos_forecast(self):
        order = self._order([(self.signal_stool, 2)], confirm=False)
        self.assertEqual(order.order_line.availability_status, "not_applicable")
        self._open(order, "sale_fulfilment_one_signal_quotation_tour")
