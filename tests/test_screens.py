from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestScreens(FulfilmentCase):
    """What the planner's screens read from the models."""

    def test_position_reads_as_place_among_open_orders(self):
        self._stock(self.chair, 10)
        first, second = (self._order([(self.chair, 1)]) for _i in range(2))
        quotation = self._order([(self.chair, 1)], confirm=False)
        self._settle()
        total = self.env["sale.order"].search_count(
            [
                ("state", "=", "sale"),
                ("availability_status", "in", ("in_stock", "expected", "not_available")),
                ("company_id", "=", self.company.id),
            ]
        )
        self.assertEqual(second.fulfilment_position_label, f"{total} of {total} open orders")
        self.assertEqual(first.fulfilment_position_label, f"{total - 1} of {total} open orders")
        self.assertFalse(quotation.fulfilment_position_label)

    def test_production_shows_on_the_line_and_the_order(self):
        order = self._order([(self.table, 1), (self.chair, 1)])
        table_line = order.order_line.filtered(lambda line: line.product_id == self.table)
        self.assertFalse(order.production_state)
        production = table_line._fulfil("make_to_order")
        self._settle()
        self.env.invalidate_all()
        # No legs nor top in stock.
        self.assertEqual(table_line.production_ingredient_availability, "not_available")
        self.assertEqual(order.production_state, "blocked")
        self.assertFalse((order.order_line - table_line).production_state)
        self._stock(self.leg, 4)
        self._stock(self.top, 1)
        self._settle()
        self.env.invalidate_all()
        self.assertEqual(table_line.production_ingredient_availability, "in_stock")
        self.assertEqual(order.production_state, "not_started")
        self._produce(production)
        self.env.invalidate_all()
        self.assertEqual(order.production_state, "done")
        self.assertFalse(table_line.production_ingredient_availability, "made: no longer shown")

    def test_each_document_under_one_smart_button(self):
        """Odoo's Manufacturing button lists make-to-order MOs; the addon's only
        the batch MOs Odoo's does not."""
        order = self._order([(self.table, 1)])
        production = order.order_line._fulfil("make_to_order")
        self.assertEqual(order.mrp_production_ids, production)
        self.assertEqual(order.fulfilment_production_count, 0)
        other = self._order([(self.table, 2)])
        batch = other.order_line._fulfil("make_in_batch")
        other.invalidate_recordset()
        self.assertFalse(other.mrp_production_ids)
        self.assertEqual(other.fulfilment_production_count, 1)
        action = other.action_view_fulfilment_productions()
        self.assertEqual(action["res_id"], batch.id)

    def _stock_row(self, product):
        self._settle()
        return self.env["sale.fulfilment.stock"].search(
            [("product_id", "=", product.id), ("warehouse_id", "=", self.warehouse.id)]
        )

    def test_stock_row_shows_what_commits_and_what_is_expected(self):
        self._stock(self.chair, 1)
        first = self._order([(self.chair, 1)])
        second = self._order([(self.chair, 2)])
        purchase = self._purchase(self.chair, 1)
        row = self._stock_row(self.chair)
        self.assertEqual(row.committed_line_ids, first.order_line | second.order_line)
        self.assertEqual(
            row.committed_line_ids.mapped("availability_status"), ["in_stock", "not_available"]
        )
        self.assertEqual(row.expected_move_ids, purchase.picking_ids.move_ids)
        production = self._production(self.table, 1)
        self.assertEqual(
            self._stock_row(self.leg).committed_move_ids.raw_material_production_id, production
        )

    def test_stock_row_opens_the_wizard_on_not_available_lines(self):
        self._stock(self.table, 1)
        served = self._order([(self.table, 1)])
        short = self._order([(self.table, 2)])
        shorter = self._order([(self.table, 3)])
        chair_order = self._order([(self.chair, 1)])
        row = self._stock_row(self.table)
        self.assertEqual(row.missing_qty, 5)
        action = row.action_fulfil_make()
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(wizard.mode, "make_in_batch")
        self.assertEqual(wizard.line_ids.sale_line_id, short.order_line | shorter.order_line)
        self.assertNotIn(served.order_line, wizard.line_ids.sale_line_id)
        self.assertEqual(sum(wizard.line_ids.mapped("quantity")), 5)
        # Several rows at once, from the Action menu.
        rows = row | self._stock_row(self.chair)
        action = (
            self.env.ref("sale_fulfilment.sale_fulfilment_stock_action_buy")
            .with_context(active_model=rows._name, active_ids=rows.ids)
            .run()
        )
        wizard = self.env[action["res_model"]].browse(action["res_id"])
        self.assertEqual(wizard.mode, "buy")
        self.assertEqual(
            wizard.line_ids.sale_line_id,
            short.order_line | shorter.order_line | chair_order.order_line,
        )
        self.assertFalse(row.can_outsource)
        cushion = self._subcontracted_product()
        self._order([(cushion, 1)])
        cushion_row = self._stock_row(cushion)
        self.assertTrue(cushion_row.can_outsource)
        self.assertEqual(cushion_row.action_fulfil_outsource()["res_model"], wizard._name)

    def test_stock_row_actions_check_rights(self):
        self._order([(self.table, 1)])
        row = self._stock_row(self.table)
        storekeeper = new_test_user(
            self.env,
            login="storekeeper",
            groups="stock.group_stock_user,sales_team.group_sale_salesman_all_leads",
        )
        with self.assertRaises(AccessError):
            row.with_user(storekeeper).action_fulfil_make()
        with self.assertRaises(AccessError):
            row.with_user(storekeeper).action_fulfil_buy()
        with self.assertRaises(AccessError):
            row.with_user(storekeeper).action_fulfil_outsource()
        maker = new_test_user(
            self.env,
            login="maker",
            groups="mrp.group_mrp_user,stock.group_stock_user,sales_team.group_sale_salesman_all_leads",
        )
        action = row.with_user(maker).action_fulfil_make()
        self.assertEqual(action["res_model"], "sale.order.line.fulfilment")
        with self.assertRaises(AccessError):
            row.with_user(maker).action_fulfil_buy()

    def test_explanation_in_the_users_words(self):
        self._stock(self.chair, 2)
        purchase = self._purchase(self.chair, 1, days=7)
        order = self._order([(self.chair, 4)])
        self._settle()
        line = order.order_line
        day = purchase.order_line.date_planned.date()
        booked, promise = line.availability_explanation.split(". ", 1)
        self.assertEqual(
            booked,
            f"2 Units from stock; 1 Unit from {purchase.name} expected on "
            f"{day.strftime('%m/%d/%Y')}; 1 Unit missing",
        )
        # Not available: when it could ship, by the earliest option.
        self.assertRegex(promise, r"^Could ship on \d\d/\d\d/\d{4} if bought\.$")
        self.env["res.lang"]._activate_lang("fr_FR")
        line.invalidate_recordset()
        in_french = line.with_context(lang="fr_FR").availability_explanation
        # In French words (i18n/fr.po) and the French date format.
        self.assertIn(f"date prévue : {day.strftime('%d/%m/%Y')}", in_french)
        self.assertIn("manquant : 1 Unité", in_french)

    def test_refusal_names_the_product_once(self):
        order = self._order([(self.chair, 2)])
        with self.assertRaises(UserError) as caught:
            order.order_line._fulfil("make_to_order")
        message = str(caught.exception)
        self.assertIn(f"{order.name} - Chair: it has no bill of materials", message)
        self.assertEqual(message.count("Chair"), 1)

    def test_demo_story_comes_first(self):
        hotel = self.env.ref("sale_fulfilment.sale_order_hotel", raise_if_not_found=False)
        if not hotel:
            self.skipTest("installed without demo data")
        story = [
            self.env.ref(f"sale_fulfilment.sale_order_{name}")
            for name in ("hotel", "cafe", "studio", "villa")
        ]
        self.assertEqual([order.fulfilment_position for order in story], [1, 2, 3, 4])
        self.assertEqual(self.env.ref("base.main_company").name, "Oak & Co.")
