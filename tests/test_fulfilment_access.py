from odoo.tests import new_test_user, tagged, users

from .test_fulfilment import FulfilmentOptionsCase

SALESMAN = "sales_team.group_sale_salesman_all_leads"


@tagged("post_install", "-at_install")
class TestFulfilmentRights(FulfilmentOptionsCase):
    """Make options need Manufacturing / User, Buy and Outsource Purchase / User."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(cls.env, "fulfil_salesman", groups=SALESMAN)
        cls.sales_maker = new_test_user(
            cls.env, "fulfil_sales_maker", groups=f"{SALESMAN},mrp.group_mrp_user"
        )
        cls.sales_buyer = new_test_user(
            cls.env, "fulfil_sales_buyer", groups=f"{SALESMAN},purchase.group_purchase_user"
        )
        cls.cushion = cls._subcontracted_product("Cushion")
        cls.order = cls._order([(cls.table, 2), (cls.chair, 3), (cls.cushion, 4)])
        cls.table_line, cls.chair_line, cls.cushion_line = cls.order.order_line

    def _open_as(self, user, lines, mode):
        Wizard = self.env["sale.order.line.fulfilment"].with_user(user)
        return Wizard.browse(Wizard._action_open(lines.with_user(user), mode=mode)["res_id"])

    def test_salesman_alone_can_neither_make_nor_buy(self):
        user = self.salesman
        table_line = self.table_line.with_user(user)
        for mode in ("make_to_order", "make_in_batch"):
            with self.subTest(mode=mode):
                self.assertRefused(
                    table_line, mode, self.order.name, "making needs the Manufacturing / User right"
                )
                wizard = self._open_as(user, self.table_line, mode)
                self.assertIn("Manufacturing / User", wizard.blocked_reasons)
                self.assertIn(self.order.name, wizard.blocked_reasons)
        self.assertRefused(
            self.chair_line.with_user(user), "buy", "buying needs the Purchase / User right"
        )
        self.assertRefused(self.cushion_line.with_user(user), "outsource", "Purchase / User")
        wizard = self._open_as(user, self.chair_line | self.cushion_line, "buy")
        self.assertIn("Chair: buying needs the Purchase / User right", wizard.blocked_reasons)
        self.assertIn("Cushion: buying needs the Purchase / User right", wizard.blocked_reasons)
        for label in ("Make to order", "Make in batch", "Buy", "Outsource"):
            self.assertIn(f"{label}: not possible", wizard.option_summary)

    def test_manufacturing_user_makes_but_does_not_buy(self):
        user = self.sales_maker
        mo = self.table_line.with_user(user)._fulfil("make_to_order")
        self.assertEqual(mo.create_uid, user)
        self.assertEqual(mo.state, "confirmed")
        self.assertEqual(mo.sale_line_id, self.table_line)
        self.assertEqual(self.table_line.fulfilment_mode, "make_to_order")
        batch = self._open_as(user, self.table_line, "make_in_batch")
        self.assertFalse(batch.blocked_reasons)
        batch_mo = self.env["mrp.production"].browse(batch.action_apply()["res_id"])
        self.assertEqual(batch_mo.fulfilment_mode, "make_in_batch")
        self.assertRefused(self.chair_line.with_user(user), "buy", "Purchase / User")
        self.assertRefused(self.cushion_line.with_user(user), "outsource", "Purchase / User")
        self.assertIn(
            "Purchase / User", self._open_as(user, self.chair_line, "buy").blocked_reasons
        )

    def test_purchase_user_buys_but_does_not_make(self):
        user = self.sales_buyer
        wizard = self._open_as(user, self.chair_line, "buy")
        self.assertFalse(wizard.blocked_reasons)
        self.assertEqual(wizard.line_ids.partner_id, self.vendor)
        po = self.env["purchase.order"].browse(wizard.action_apply()["res_id"])
        self.assertEqual(po.create_uid, user)
        self.assertEqual(po.state, "purchase")
        self.assertEqual(po.origin, self.order.name)
        outsourced = self.cushion_line.with_user(user)._fulfil("outsource")
        self.assertTrue(outsourced.is_outsourced)
        self.assertEqual(outsourced.state, "purchase")
        self.assertEqual(outsourced.partner_id, self.subcontractor)
        self.assertTrue(outsourced.order_line.move_ids.move_orig_ids.production_id)
        self.assertRefused(self.table_line.with_user(user), "make_to_order", "Manufacturing / User")
        self.assertRefused(self.table_line.with_user(user), "make_in_batch", "Manufacturing / User")

    @users("fulfil_sales_maker")
    def test_wizard_in_the_users_own_session(self):
        order = self.order.with_env(self.env)
        action = (
            self.env["sale.order.line.fulfilment"]
            .with_context(active_model="sale.order", active_ids=order.ids)
            .action_open_from_selection()
        )
        wizard = self.env["sale.order.line.fulfilment"].browse(action["res_id"])
        self.assertEqual(len(wizard.line_ids), 3)
        self.assertIn("Make to order: not possible", wizard.option_summary)  # chairs: no BoM
        self.assertIn("Chair", wizard.blocked_reasons)
        wizard.line_ids.filtered(lambda row: row.product_id != self.table).unlink()
        self.assertFalse(wizard.blocked_reasons)
        mo = self.env["mrp.production"].browse(wizard.action_apply()["res_id"])
        self.assertEqual(mo.sale_line_id, self.table_line)
        self.assertEqual(mo.env.user.login, "fulfil_sales_maker")
