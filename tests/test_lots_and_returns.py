from datetime import timedelta

from odoo.tests import Form, tagged

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestLots(FulfilmentCase):
    """A product tracked by lots books like any other: lots are Odoo's
    business at the reservation, the booking counts what is on hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.chair.tracking = "lot"
        Lot = cls.env["stock.lot"]
        cls.lot_a = Lot.create({"name": "A-1", "product_id": cls.chair.id})
        cls.lot_b = Lot.create({"name": "B-1", "product_id": cls.chair.id})
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(cls.chair, cls.stock_location, 3, lot_id=cls.lot_a)
        Quant._update_available_quantity(cls.chair, cls.stock_location, 2, lot_id=cls.lot_b)

    def test_lots_are_one_stock_for_the_booking(self):
        first = self._order([(self.chair, 4)])
        second = self._order([(self.chair, 2)])
        self._settle()
        self.assertEqual(first.order_line.availability_status, "in_stock")
        self.assertEqual(second.order_line.availability_status, "not_available")
        self.assertEqual(second.order_line.missing_qty, 1)
        # Reservations agree with the badges.
        self.assertEqual(first.order_line.move_ids.quantity, 4)
        self.assertEqual(second.order_line.move_ids.quantity, 1)

    def test_delivery_of_lots_leaves_the_rest_to_the_next_order(self):
        first = self._order([(self.chair, 4)])
        second = self._order([(self.chair, 2)])
        self._deliver(first)
        self._settle()
        self.assertEqual(first.order_line.availability_status, "delivered")
        self.assertEqual(second.order_line.availability_status, "not_available")
        self.assertEqual(second.order_line.missing_qty, 1)
        main = self.chair.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual((main.in_stock_qty, main.committed_qty), (1, 2))

    def test_a_drag_keeps_the_lots_a_picker_chose(self):
        first = self._order([(self.chair, 4)])
        second = self._order([(self.chair, 2)])
        self._settle()
        picked = first.order_line.move_ids
        picked.picked = True  # the picker took the lots of his reservation
        (second | first)._set_ranks()
        second.order_line.move_ids._action_assign()
        self._settle()
        self.assertEqual(second.order_line.availability_status, "in_stock")
        self.assertEqual(first.order_line.availability_status, "not_available")
        self.assertEqual(first.order_line.missing_qty, 1)
        self.assertEqual(picked.quantity, 4, "a picked move keeps its lots")
        self.assertEqual(second.order_line.move_ids.quantity, 1)


@tagged("post_install", "-at_install")
class TestCustomerReturns(FulfilmentCase):
    """A customer return for a refund reopens the line, as Odoo's delivered
    quantity says; a return without refund leaves it delivered."""

    def _return(self, order, qty, to_refund):
        picking = order.picking_ids.filtered(lambda p: p.state == "done")
        wizard = Form(
            self.env["stock.return.picking"].with_context(
                active_ids=picking.ids, active_id=picking.id, active_model="stock.picking"
            )
        ).save()
        wizard.product_return_moves.quantity = qty
        wizard.product_return_moves.to_refund = to_refund
        returned = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        returned.move_ids.write({"quantity": qty, "picked": True})
        returned.button_validate()
        return returned

    def test_return_for_refund_reopens_the_line(self):
        self._stock(self.chair, 5)
        order = self._order([(self.chair, 5)])
        self._deliver(order)
        self._settle()
        self.assertEqual(order.order_line.availability_status, "delivered")
        self._return(order, 2, to_refund=True)
        self._settle()
        line = order.order_line
        self.assertEqual(line.qty_delivered, 3)
        self.assertEqual(line.availability_status, "in_stock")
        main = self.chair.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual((main.in_stock_qty, main.committed_qty), (2, 2))

    def test_return_without_refund_leaves_the_line_delivered(self):
        self._stock(self.chair, 5)
        order = self._order([(self.chair, 5)])
        self._deliver(order)
        self._return(order, 2, to_refund=False)
        self._settle()
        line = order.order_line
        self.assertEqual(line.qty_delivered, 5)
        self.assertEqual(line.availability_status, "delivered")
        main = self.chair.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual((main.in_stock_qty, main.committed_qty), (2, 0))


@tagged("post_install", "-at_install")
class TestStockLeavingOtherwise(FulfilmentCase):
    def test_scrapped_stock_is_no_longer_booked(self):
        self._stock(self.chair, 5)
        order = self._order([(self.chair, 5)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "in_stock")
        order.order_line.move_ids._do_unreserve()
        scrap = self.env["stock.scrap"].create(
            {"product_id": self.chair.id, "scrap_qty": 2, "location_id": self.stock_location.id}
        )
        scrap.action_validate()
        self._settle()
        self.assertEqual(order.order_line.availability_status, "not_available")
        self.assertEqual(order.order_line.missing_qty, 2)

    def test_a_product_no_longer_tracked_in_stock_books_nothing(self):
        # Odoo refuses the change while stock is reserved or was moved.
        order = self._order([(self.chair, 3)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "not_available")
        self.chair.product_tmpl_id.is_storable = False
        self._settle()
        self.assertEqual(order.order_line.availability_status, "not_applicable")
        self.assertEqual(order.availability_status, "not_applicable")


@tagged("post_install", "-at_install")
class TestSuppliesChanging(FulfilmentCase):
    """What planners do to supplies every day moves the lines that count on them."""

    def test_a_rescheduled_mo_moves_the_line(self):
        production = self._production(self.table, 2, days=5)
        order = self._order([(self.table, 2)])
        self._settle()
        later = production.date_finished + timedelta(days=10)
        production.date_finished = later
        self._settle()
        self.assertEqual(order.order_line.availability_status, "expected")
        self.assertEqual(order.order_line.availability_date, later.date())

    def test_a_cancelled_purchase_leaves_the_line_not_available(self):
        purchase = self._purchase(self.chair, 3)
        order = self._order([(self.chair, 3)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "expected")
        purchase.button_cancel()
        self._settle()
        self.assertEqual(order.order_line.availability_status, "not_available")
        self.assertEqual(order.order_line.missing_qty, 3)

    def test_a_partial_receipt_books_stock_then_the_backorder(self):
        purchase = self._purchase(self.chair, 5)
        first = self._order([(self.chair, 2)])
        second = self._order([(self.chair, 3)])
        receipt = purchase.picking_ids
        receipt.move_ids.write({"quantity": 2, "picked": True})
        receipt.with_context(cancel_backorder=False)._action_done()
        self._settle()
        self.assertEqual(first.order_line.availability_status, "in_stock")
        self.assertEqual(second.order_line.availability_status, "expected")
        figures = self.chair.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual((figures.in_stock_qty, figures.expected_qty), (2, 3))

    def test_two_lines_of_one_product_in_one_order_book_in_line_order(self):
        self._stock(self.chair, 3)
        order = self._order([(self.chair, 2), (self.chair, 2)])
        self._settle()
        first, second = order.order_line.sorted("sequence")
        self.assertEqual(first.availability_status, "in_stock")
        self.assertEqual(second.availability_status, "not_available")
        self.assertEqual(second.missing_qty, 1)
