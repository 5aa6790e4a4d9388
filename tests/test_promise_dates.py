from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools.misc import format_date

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestPromiseDates(FulfilmentCase):
    """When a Not available line could ship under each option, worked out by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write({"po_lead": 1, "days_to_purchase": 2, "manufacturing_lead": 1})
        cls.bom.produce_delay = 3
        cls.chair.seller_ids.delay = 5
        cls.today = fields.Date.context_today(cls.env["sale.order.line"])

    def _rows(self, lines):
        action = self.env["sale.order.line.fulfilment"]._action_open(lines)
        wizard = self.env["sale.order.line.fulfilment"].browse(action["res_id"])
        return {row.sale_line_id: row for row in wizard.line_ids}

    def _day(self, days):
        return self.today + timedelta(days=days)

    def test_buy_is_the_vendor_delay_and_the_company_lead_times(self):
        order = self._order([(self.chair, 3)])
        self._settle()
        row = self._rows(order.order_line)[order.order_line]
        # 5 days (vendor) + 1 (purchase security lead) + 2 (days to purchase).
        self.assertEqual(row.promise_date_buy, self._day(8))
        self.assertFalse(row.promise_date_make, "the chair has no bill of materials")
        self.assertFalse(row.promise_date_outsource)
        self.assertEqual(row.promise_best, "buy")

    def test_make_with_components_in_stock_or_to_be_bought(self):
        self._stock(self.leg, 20)
        self._stock(self.top, 2)
        order = self._order([(self.table, 2)])
        self._settle()
        row = self._rows(order.order_line)[order.order_line]
        # Components free now: 3 days (the BoM) + 1 (manufacturing security lead).
        self.assertEqual(row.promise_date_make, self._day(4))
        self.assertEqual(row.promise_best, "make")
        # The tops run out: a third table waits for tops bought in 10 days
        # + 1 + 2, then 4 days to make it.
        self.top.write(
            {
                "purchase_ok": True,
                "seller_ids": [Command.create({"partner_id": self.vendor.id, "delay": 10})],
            }
        )
        more = self._order([(self.table, 3)], partner=self.customer_b)
        self._settle()
        row = self._rows(more.order_line)[more.order_line]
        self.assertEqual(row.promise_date_make, self._day(17))

    def test_make_waits_for_the_expected_components(self):
        self._stock(self.leg, 4)
        self._purchase(self.top, 1, days=6)
        order = self._order([(self.table, 1)])
        self._settle()
        row = self._rows(order.order_line)[order.order_line]
        # The top arrives in 6 days; then 4 days to make.
        self.assertEqual(row.promise_date_make, self._day(10))

    def test_outsource_after_the_components_are_there(self):
        fabric = self._product("Cushion fabric")
        cushion = self._subcontracted_product(component=fabric)
        cushion.seller_ids = [Command.create({"partner_id": self.subcontractor.id, "delay": 4})]
        self._stock(fabric, 10)
        order = self._order([(cushion, 2)])
        self._settle()
        row = self._rows(order.order_line)[order.order_line]
        # Fabric free now: 4 days (subcontractor) + 1 + 2.
        self.assertEqual(row.promise_date_outsource, self._day(7))
        self.assertEqual(row.promise_date_buy, self._day(7))

    def test_the_line_explanation_names_the_earliest_option(self):
        self._stock(self.leg, 8)
        self._stock(self.top, 2)
        self.table.write(
            {
                "purchase_ok": True,
                "seller_ids": [Command.create({"partner_id": self.vendor.id, "delay": 30})],
            }
        )
        order = self._order([(self.table, 2)])
        self._settle()
        line = order.order_line
        self.assertEqual(line.availability_status, "not_available")
        self.assertIn(
            f"Could ship on {format_date(self.env, self._day(4))} if made to order",
            line.availability_explanation,
        )

    def test_a_list_of_lines_in_a_constant_number_of_queries(self):
        self._stock(self.leg, 100)
        self._stock(self.top, 100)
        few = self.env["sale.order.line"]
        for _i in range(2):
            few |= self._order([(self.table, 1), (self.chair, 1)]).order_line
        many = self.env["sale.order.line"]
        for _i in range(8):
            many |= self._order([(self.table, 1), (self.chair, 1)]).order_line
        self._settle()
        promise = self.env["sale.fulfilment.promise"]

        def count(lines):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            promise._promise_dates(lines.browse(lines.ids))
            return self.env.cr.sql_log_count - before

        count(few)  # warm the caches that do not depend on the lines
        self.assertEqual(count(many), count(few))
