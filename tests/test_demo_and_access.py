from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged, users
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestDemoAndAccess(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        new_test_user(cls.env, "fulfil_sales", groups="sales_team.group_sale_salesman_all_leads")
        new_test_user(cls.env, "fulfil_mrp", groups="mrp.group_mrp_user")
        new_test_user(cls.env, "fulfil_stock", groups="stock.group_stock_user")
        new_test_user(cls.env, "fulfil_nobody", groups="base.group_user")

    def _demo(self, xmlid):
        record = self.env.ref(f"sale_fulfilment.{xmlid}", raise_if_not_found=False)
        if not record:
            self.skipTest("installed without demo data")
        return record

    def test_demo_orders_show_every_status_in_rank_order(self):
        early = self._demo("sale_order_early")
        hotel, cafe, studio, villa = (
            self._demo(f"sale_order_{name}") for name in ("hotel", "cafe", "studio", "villa")
        )
        ranked = [early, hotel, cafe, studio, villa]
        self.assertEqual(
            [o.fulfilment_priority for o in ranked],
            sorted(o.fulfilment_priority for o in ranked),
        )
        self.assertEqual(early.availability_status, "delivered")
        self.assertEqual(self._demo("sale_order_hotel_line_table").availability_status, "in_stock")
        self.assertEqual(
            self._demo("sale_order_hotel_line_service").availability_status, "not_applicable"
        )
        cafe_chairs = self._demo("sale_order_cafe_line_chair")
        self.assertEqual(cafe_chairs.availability_status, "expected")
        self.assertEqual(
            cafe_chairs.availability_date,
            self._demo("purchase_order_chairs_line").date_planned.date(),
        )
        self.assertEqual(self._demo("sale_order_studio_line_table").availability_status, "expected")
        studio_chairs = self._demo("sale_order_studio_line_chair")
        self.assertEqual(studio_chairs.availability_status, "not_available")
        self.assertEqual(studio_chairs.missing_qty, 2)
        self.assertEqual(villa.availability_status, "not_available")
        self.assertEqual(self._demo("mrp_production_tables").ingredient_availability, "in_stock")
        leg = self._demo("product_leg")
        self.assertEqual(leg.safety_stock_qty, 8)

    def test_sales_priority_list_shows_open_orders_in_rank_order(self):
        action = self.env.ref("sale_fulfilment.sale_order_action_fulfilment_priority")
        list_view = self.env.ref("sale_fulfilment.sale_order_view_list_fulfilment")
        self.assertEqual(action.view_id, list_view)
        orders = self.env["sale.order"].search(
            safe_eval(action.domain), order="fulfilment_priority, date_order, id"
        )
        self.assertTrue(all(o.state == "sale" for o in orders))
        self.assertNotIn("delivered", orders.mapped("availability_status"))
        hotel = self.env.ref("sale_fulfilment.sale_order_hotel", raise_if_not_found=False)
        if hotel:
            self.assertIn(hotel, orders)
            self.assertNotIn(self.env.ref("sale_fulfilment.sale_order_early"), orders)

    def _visible(self, xmlid):
        menu = self.env.ref(f"sale_fulfilment.{xmlid}")
        return menu.id in self.env["ir.ui.menu"]._visible_menu_ids()

    @users("fulfil_sales")
    def test_salesperson_sees_and_reorders_the_sales_priority_list(self):
        # Odoo 18 shows the Sales app only with sale_management installed.
        self.assertTrue(self.env.ref("sale.sale_menu_root").active)
        self.assertTrue(self._visible("sale_order_menu_fulfilment_priority"))
        self.assertFalse(self._visible("mrp_production_menu_schedule"))
        orders = self.env["sale.order"].search([("state", "=", "sale")], limit=2)
        orders.browse(list(reversed(orders.ids)))._set_ranks()

    @users("fulfil_mrp")
    def test_planner_sees_the_schedule(self):
        self.assertTrue(self._visible("mrp_production_menu_schedule"))
        self.assertFalse(self._visible("sale_order_menu_fulfilment_priority"))

    @users("fulfil_stock")
    def test_stock_user_sees_the_stock_figures(self):
        self.assertTrue(self._visible("sale_fulfilment_stock_menu"))
        self.env["sale.fulfilment.stock"].search([]).mapped("calculated_stock_qty")

    @users("fulfil_nobody")
    def test_employee_without_rights_cannot_reorder(self):
        self.assertFalse(self._visible("sale_order_menu_fulfilment_priority"))
        self.assertFalse(self._visible("mrp_production_menu_schedule"))
        orders = self.env["sale.order"].sudo().search([("state", "=", "sale")], limit=2)
        with self.assertRaises(AccessError):
            orders.with_user(self.env.user)._set_ranks()
        with self.assertRaises(AccessError):
            self.env["sale.fulfilment.stock"].search([])

    def test_demo_reservations_match_the_badges(self):
        """Fresh demo, nobody pressed Reserve in rank order: what each order
        holds reserved is what its lines booked from stock."""
        orders = self._demo("sale_order_hotel") | self._demo("sale_order_cafe")
        orders |= self._demo("sale_order_studio") | self._demo("sale_order_villa")
        for line in orders.order_line.filtered(lambda line: line.product_id.is_storable):
            with self.subTest(order=line.order_id.name, product=line.product_id.name):
                moves = line.move_ids.filtered(
                    lambda m: not m.move_orig_ids and m.state not in ("done", "cancel")
                )
                reserved = sum(
                    m.product_uom._compute_quantity(m.quantity, m.product_id.uom_id) for m in moves
                )
                details = line.availability_details or {}
                if details.get("mto"):
                    continue  # served by its own MO's output
                from_stock = details.get("stock", line._fulfilment_open_qty() - line.missing_qty)
                self.assertEqual(reserved, from_stock)
