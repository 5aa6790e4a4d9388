from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import FulfilmentCase

PRIORITY_URL = "/odoo/action-sale_fulfilment.sale_order_action_fulfilment_priority"


@tagged("post_install", "-at_install")
class TestTours(HttpCase, FulfilmentCase):
    """What a planner does in the browser, on data of its own (demo data or not).

    Names start with "Tour" so that the tours find their rows among demo data.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        partners = cls.env["res.partner"].create(
            [
                {"name": "Tour Customer Alpha"},
                {"name": "Tour Customer Beta"},
                {"name": "Tour Vendor North", "is_company": True},
                {"name": "Tour Vendor South", "is_company": True},
            ]
        )
        cls.alpha, cls.beta, cls.vendor_north, cls.vendor_south = partners
        cls.desk = cls._made_product("Tour Desk")
        cls.bookcase = cls._made_product("Tour Bookcase")
        cls.lamp = cls._product("Tour Lamp", sale_ok=True, purchase_ok=True)
        cls.lamp.seller_ids = [
            Command.create({"partner_id": cls.vendor_north.id, "price": 30.0, "sequence": 1}),
            Command.create({"partner_id": cls.vendor_south.id, "price": 32.0, "sequence": 2}),
        ]

    @classmethod
    def _made_product(cls, name):
        product = cls._product(name, sale_ok=True)
        cls.env["mrp.bom"].create(
            {
                "product_tmpl_id": product.product_tmpl_id.id,
                "product_qty": 1,
                "bom_line_ids": [Command.create({"product_id": cls.leg.id, "product_qty": 4})],
            }
        )
        return product

    def _start_tour(self, tour, url=PRIORITY_URL):
        self._settle()
        self.start_tour(url, tour, login="admin")
        self.env.invalidate_all()

    def test_priority_drag(self):
        """Dragging Beta's order to the top takes Alpha's desk in stock."""
        self._stock(self.desk, 1)
        alpha = self._order([(self.desk, 1)], partner=self.alpha)
        beta = self._order([(self.desk, 1)], partner=self.beta)
        self._start_tour("sale_fulfilment_priority_tour")
        self.assertLess(beta.fulfilment_priority, alpha.fulfilment_priority)
        self.assertEqual(beta.order_line.availability_status, "in_stock")
        self.assertEqual(alpha.order_line.availability_status, "not_available")

    def test_sort_and_group_by_availability(self):
        """The Sales priority list sorts and groups by the booked Availability."""
        self._stock(self.desk, 1)
        self._order([(self.lamp, 1)], partner=self.beta)
        self._order([(self.desk, 1)], partner=self.alpha)
        self._start_tour("sale_fulfilment_group_by_tour")

    def test_make_to_order(self):
        """Alpha's Not available desk: Fulfil > Make to order, then it is Expected."""
        self._stock(self.desk, 1)
        beta = self._order([(self.desk, 1)], partner=self.beta)
        alpha = self._order([(self.desk, 1)], partner=self.alpha)
        self._start_tour("sale_fulfilment_make_to_order_tour")
        line = alpha.order_line
        production = self.env["mrp.production"].search([("sale_line_id", "=", line.id)])
        self.assertEqual(len(production), 1)
        self.assertEqual(production.fulfilment_mode, "make_to_order")
        self.assertEqual(production.state, "confirmed")
        self.assertEqual(production.product_qty, 1)
        self.assertEqual(line.fulfilment_mode, "make_to_order")
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(beta.order_line.availability_status, "in_stock")

    def test_make_to_order_tree(self):
        """Alpha's cabinet: the wizard shows when it could ship if made; Make to
        order with its sub-assemblies makes the whole tree."""
        board = self._product("Tour Board")
        panel = self._product("Tour Panel")
        cabinet = self._product("Tour Cabinet", sale_ok=True)
        for product, part, qty in ((cabinet, panel, 2), (panel, board, 3), (board, self.leg, 1)):
            self.env["mrp.bom"].create(
                {
                    "product_tmpl_id": product.product_tmpl_id.id,
                    "product_qty": 1,
                    "produce_delay": 2,
                    "bom_line_ids": [Command.create({"product_id": part.id, "product_qty": qty})],
                }
            )
        self._stock(self.leg, 100)
        alpha = self._order([(cabinet, 1)], partner=self.alpha)
        self._start_tour("sale_fulfilment_tree_tour")
        cabinet_mo = alpha.order_line.fulfilment_production_ids
        panel_mo = cabinet_mo.fulfilment_child_ids
        board_mo = panel_mo.fulfilment_child_ids
        self.assertEqual(cabinet_mo.fulfilment_mode, "make_to_order")
        self.assertEqual((panel_mo.product_id, panel_mo.product_qty), (panel, 2))
        self.assertEqual((board_mo.product_id, board_mo.product_qty), (board, 6))
        self.assertFalse(board_mo.fulfilment_child_ids, "the legs are in stock")

    def test_make_in_batch(self):
        """Two desk lines, one batch MO for the quantities the planner set."""
        self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.desk.id,
                "warehouse_id": self.warehouse.id,
                "location_id": self.stock_location.id,
                "product_min_qty": 5,
                "product_max_qty": 5,
                "trigger": "manual",
            }
        )
        alpha = self._order([(self.desk, 2)], partner=self.alpha)
        beta = self._order([(self.desk, 3)], partner=self.beta)
        self._start_tour("sale_fulfilment_make_in_batch_tour")
        lines = (alpha | beta).order_line
        production = self.env["mrp.production"].search([("product_id", "=", self.desk.id)])
        self.assertEqual(len(production), 1)
        self.assertEqual(production.fulfilment_mode, "make_in_batch")
        self.assertEqual(production.product_qty, 9)
        self.assertFalse(production.sale_line_id)
        self.assertEqual(production.fulfilment_sale_line_ids, lines)
        self.assertEqual(set(lines.mapped("fulfilment_mode")), {"make_in_batch"})
        # The MO's 9 desks cover both lines (safety stock is a figure, not a booking).
        self.assertEqual(set(lines.mapped("availability_status")), {"expected"})

    def test_buy(self):
        """Fulfil > Buy at another vendor than the proposed one: a PO there."""
        alpha = self._order([(self.lamp, 2)], partner=self.alpha)
        self._start_tour("sale_fulfilment_buy_tour")
        purchase = self.env["purchase.order"].search([("order_line.product_id", "=", self.lamp.id)])
        self.assertEqual(len(purchase), 1)
        self.assertEqual(purchase.partner_id, self.vendor_south)
        self.assertEqual(purchase.state, "purchase")
        self.assertEqual(purchase.order_line.product_qty, 2)
        self.assertEqual(purchase.origin, alpha.name)
        self.assertEqual(alpha.order_line.fulfilment_mode, "buy")
        self.assertEqual(alpha.order_line.availability_status, "expected")

    def test_schedule_drag(self):
        """Dragging Beta's make-to-order MO first in the Schedule moves Beta's order up."""
        alpha = self._order([(self.desk, 1)], partner=self.alpha)
        beta = self._order([(self.bookcase, 1)], partner=self.beta)
        desk_mo = alpha.order_line._fulfil("make_to_order")
        bookcase_mo = beta.order_line._fulfil("make_to_order")
        self.assertLess(desk_mo.schedule_priority, bookcase_mo.schedule_priority)
        self._start_tour("sale_fulfilment_schedule_tour")
        self.assertLess(bookcase_mo.schedule_priority, desk_mo.schedule_priority)
        self.assertLess(beta.fulfilment_priority, alpha.fulfilment_priority)

    def test_french_interface(self):
        """With the interface in French, a planner reads the addon in French
        and fulfils a line from it."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["sale_fulfilment"], ["fr_FR"])
        self.env.ref("base.user_admin").lang = "fr_FR"
        self._stock(self.desk, 1)
        self._order([(self.desk, 1)], partner=self.alpha)
        beta = self._order([(self.desk, 1)], partner=self.beta)
        self._start_tour("sale_fulfilment_french_tour")
        self.assertEqual(beta.order_line.fulfilment_mode, "make_to_order")
        self.assertEqual(beta.order_line.availability_status, "expected")

    def test_position(self):
        """The list numbers the orders 1, 2, ...; the form says "n of m open orders"."""
        self._order([(self.desk, 1)], partner=self.alpha)
        self._order([(self.desk, 1)], partner=self.beta)
        self._start_tour("sale_fulfilment_position_tour")

    def test_production_on_the_sale(self):
        """A make-to-order desk without legs: Blocked in the list and on the line."""
        alpha = self._order([(self.desk, 1)], partner=self.alpha)
        alpha.order_line._fulfil("make_to_order")
        self._start_tour("sale_fulfilment_production_tour")

    def test_stock_list_make_and_buy(self):
        """The Stock list: a row shows what commits it; Make and Buy open the wizard."""
        alpha = self._order([(self.desk, 2), (self.lamp, 1)], partner=self.alpha)
        url = "/odoo/action-sale_fulfilment.sale_fulfilment_stock_action"
        self._start_tour("sale_fulfilment_stock_list_tour", url=url)
        desk_line = alpha.order_line.filtered(lambda line: line.product_id == self.desk)
        self.assertEqual(desk_line.fulfilment_mode, "make_in_batch")
        self._start_tour("sale_fulfilment_stock_list_buy_tour", url=url)
        lamp_line = alpha.order_line - desk_line
        self.assertEqual(lamp_line.fulfilment_mode, "buy")
        self.assertEqual(
            lamp_line.fulfilment_purchase_line_ids.order_id.partner_id, self.vendor_north
        )
