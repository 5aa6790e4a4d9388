import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .test_fulfilment import FulfilmentOptionsCase

SALESMAN_OWN = "sales_team.group_sale_salesman"
SALESMAN_ALL = "sales_team.group_sale_salesman_all_leads"


class RightLevelsCase(FulfilmentOptionsCase):
    """One user per right level, and a second company with its own user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        levels = {
            "lvl_own_salesman": SALESMAN_OWN,
            "lvl_other_salesman": SALESMAN_OWN,
            "lvl_all_salesman": SALESMAN_ALL,
            "lvl_sales_manager": "sales_team.group_sale_manager",
            "lvl_stock_user": "stock.group_stock_user",
            "lvl_stock_manager": "stock.group_stock_manager",
            "lvl_mrp_user": "mrp.group_mrp_user",
            "lvl_mrp_manager": "mrp.group_mrp_manager",
            "lvl_purchase_user": "purchase.group_purchase_user",
            "lvl_purchase_manager": "purchase.group_purchase_manager",
        }
        cls.users = {login: new_test_user(cls.env, login, groups=g) for login, g in levels.items()}
        cls.own_salesman = cls.users["lvl_own_salesman"]
        cls.other_salesman = cls.users["lvl_other_salesman"]

    def _reserved(self, order):
        moves = order.order_line.move_ids.filtered(lambda m: not m.move_orig_ids)
        return sum(moves.mapped("quantity"))


@tagged("post_install", "-at_install")
class TestReserveInRankOrderRights(RightLevelsCase):
    def test_who_may_reserve_in_rank_order(self):
        """Inventory rights decide, not Sales rights: an inventory user (and an
        MRP user, which Odoo makes one) may; salesmen, a sales manager and a
        purchase user may not, and nothing is unreserved for them."""
        self._stock(self.chair, 4)
        first = self._order([(self.chair, 4)])
        second = self._order([(self.chair, 4)])
        self.assertEqual((self._reserved(first), self._reserved(second)), (4, 0))
        (second | first)._set_ranks()  # second is now more urgent
        allowed = {"lvl_stock_user", "lvl_stock_manager", "lvl_mrp_user", "lvl_mrp_manager"}
        for login, user in self.users.items():
            if login in allowed:
                continue
            with self.subTest(user=login), self.assertRaisesRegex(AccessError, "Inventory / User"):
                self.env["sale.order"].with_user(user).action_reserve_in_rank_order()
            self.assertEqual((self._reserved(first), self._reserved(second)), (4, 0))
        for login in sorted(allowed):
            with self.subTest(user=login):
                orders = (first | second).with_user(self.users[login])
                action = orders.action_reserve_in_rank_order()
                self.assertEqual(action["params"]["type"], "success")
                self.assertEqual((self._reserved(first), self._reserved(second)), (0, 4))


@tagged("post_install", "-at_install")
class TestReserveInRankOrderOverRpc(HttpCase, RightLevelsCase):
    def _call(self, login, order_ids):
        self.authenticate(login, login)
        response = self.url_open(
            "/web/dataset/call_button/sale.order/action_reserve_in_rank_order",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "sale.order",
                        "method": "action_reserve_in_rank_order",
                        "args": [order_ids],
                        "kwargs": {"context": {}},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def test_salesman_gets_a_clear_error_inventory_user_reserves(self):
        self._stock(self.chair, 4)
        first = self._order([(self.chair, 4)])
        second = self._order([(self.chair, 4)])
        (second | first)._set_ranks()
        ids = (first | second).ids
        result = self._call("lvl_all_salesman", ids)
        self.assertEqual(result["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertIn("needs the Inventory / User right", result["error"]["data"]["message"])
        self.env.invalidate_all()
        self.assertEqual((self._reserved(first), self._reserved(second)), (4, 0))
        result = self._call("lvl_stock_user", ids)
        self.assertNotIn("error", result, result)
        self.env.invalidate_all()
        self.assertEqual((self._reserved(first), self._reserved(second)), (0, 4))


@tagged("post_install", "-at_install")
class TestOptionsPerRightLevel(RightLevelsCase):
    """Make needs Manufacturing / User, Buy Purchase / User, whatever else the
    user has: a sales or inventory manager is refused both."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls._order([(cls.table, 1), (cls.chair, 2)])
        cls.table_line, cls.chair_line = cls.order.order_line
        # To reach the lines at all, every level here also sells (sees all orders).
        salesman_all = cls.env.ref(SALESMAN_ALL)
        for user in cls.users.values():
            user.groups_id = [(4, salesman_all.id)]

    def test_make_and_buy_per_level(self):
        may_make = {"lvl_mrp_user", "lvl_mrp_manager"}
        may_buy = {"lvl_purchase_user", "lvl_purchase_manager"}
        for login, user in self.users.items():
            with self.subTest(user=login):
                table_line = self.table_line.with_user(user)
                chair_line = self.chair_line.with_user(user)
                if login in may_make:
                    self.assertFalse(table_line._fulfilment_blocked_reason("make_in_batch"))
                else:
                    self.assertRefused(table_line, "make_in_batch", "Manufacturing / User")
                    self.assertRefused(table_line, "make_to_order", "Manufacturing / User")
                if login in may_buy:
                    self.assertFalse(chair_line._fulfilment_blocked_reason("buy"))
                else:
                    self.assertRefused(chair_line, "buy", "Purchase / User")
        po = self.chair_line.with_user(self.users["lvl_purchase_manager"])._fulfil("buy")
        self.assertEqual(po.state, "purchase")
        mo = self.table_line.with_user(self.users["lvl_mrp_manager"])._fulfil("make_to_order")
        self.assertEqual(mo.sale_line_id, self.table_line)


@tagged("post_install", "-at_install")
class TestSalesmanSeesHisOwnLinesResults(RightLevelsCase):
    """A line's booking results are read through the line, so Odoo's record
    rules of sales lines decide: a salesman of his own documents reads his."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mine = cls._order([(cls.chair, 3)])
        cls.mine.user_id = cls.own_salesman
        cls.theirs = cls._order([(cls.chair, 2)])
        cls.theirs.user_id = cls.other_salesman

    def test_own_lines_only(self):
        self._settle()
        Line = self.env["sale.order.line"].with_user(self.own_salesman)
        fields = ["availability_status", "missing_qty", "availability_date"]
        self.assertEqual(Line.browse(self.mine.order_line.id).read(fields)[0]["missing_qty"], 3)
        mine = Line.browse(self.mine.order_line.id)
        self.assertEqual((mine.availability_status, mine.missing_qty), ("not_available", 3))
        with self.assertRaises(AccessError):
            Line.browse(self.theirs.order_line.id).read(fields)
        with self.assertRaises(AccessError):
            _status = Line.browse(self.theirs.order_line.id).availability_status
        with self.assertRaises(AccessError):
            _status = (
                self.env["sale.order"]
                .with_user(self.own_salesman)
                .browse(self.theirs.id)
                .availability_status
            )
        # Searching and grouping on the results go through the same rules.
        orders = self.mine | self.theirs
        chairs = [("product_id", "=", self.chair.id)]
        self.assertEqual(
            Line.search([*chairs, ("availability_status", "=", "not_available")]), mine
        )
        self.assertEqual(Line.search([*chairs, ("missing_qty", ">", 0)]), mine)
        groups = Line._read_group(chairs, ["availability_status"], ["__count"])
        self.assertEqual(groups, [("not_available", 1)])
        self.assertEqual(
            self.env["sale.order"]
            .with_user(self.own_salesman)
            .search([("availability_status", "=", "not_available"), ("id", "in", orders.ids)]),
            self.mine.with_user(self.own_salesman),
        )
        # A salesman who sees all orders reads both.
        every = self.env["sale.order.line"].with_user(self.users["lvl_all_salesman"])
        self.assertEqual(
            every.search([*chairs, ("availability_status", "=", "not_available")]),
            (self.mine | self.theirs).order_line,
        )

    def test_side_tables_are_not_readable_at_any_level(self):
        self._settle()
        for login, user in self.users.items():
            for model in (
                "sale.fulfilment.line.availability",
                "sale.fulfilment.order.availability",
            ):
                with self.subTest(user=login, model=model), self.assertRaises(AccessError):
                    self.env[model].with_user(user).search_read([], ["id"])


@tagged("post_install", "-at_install")
class TestAnotherCompanysUser(RightLevelsCase):
    """A user of company B alone sees nothing of company A's booking, cannot
    fulfil its lines nor drag its orders; a user of both with only B active
    sees B's figures alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Rival furniture"})
        cls.warehouse_b = cls.env["stock.warehouse"].search([("company_id", "=", cls.company_b.id)])
        rights = (
            f"{SALESMAN_ALL},stock.group_stock_user,mrp.group_mrp_user,purchase.group_purchase_user"
        )
        cls.user_b = new_test_user(
            cls.env,
            "lvl_company_b",
            groups=rights,
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.user_ab = new_test_user(
            cls.env,
            "lvl_company_ab",
            groups=rights,
            company_id=cls.company_b.id,
            company_ids=[(6, 0, (cls.company | cls.company_b).ids)],
        )
        cls._stock(cls.chair, 5)
        cls.env["stock.quant"].with_company(cls.company_b)._update_available_quantity(
            cls.chair, cls.warehouse_b.lot_stock_id, 2
        )
        cls.order_a = cls._order([(cls.chair, 8)])
        cls.order_a2 = cls._order([(cls.chair, 1)])

    def test_figures_of_company_a_are_invisible(self):
        self._settle()
        # As a user of both companies, with both active: A's and B's figures.
        both = self.chair.with_user(self.user_ab).with_context(
            allowed_company_ids=[self.company_b.id, self.company.id]
        )
        self.assertEqual((both.in_stock_qty, both.committed_qty), (7, 9))
        self.assertEqual(both.with_context(warehouse_id=self.warehouse.id).committed_qty, 9)
        # Only B active: B's figures alone, A's warehouse shows nothing.
        only_b = self.chair.with_user(self.user_ab).with_context(
            allowed_company_ids=[self.company_b.id]
        )
        for product in (only_b, self.chair.with_user(self.user_b)):
            with self.subTest(user=product.env.user.login):
                self.assertEqual(
                    (product.in_stock_qty, product.committed_qty, product.calculated_stock_qty),
                    (2, 0, 2),
                )
                in_a = product.with_context(warehouse_id=self.warehouse.id)
                self.assertEqual(
                    (in_a.in_stock_qty, in_a.expected_qty, in_a.committed_qty), (0, 0, 0)
                )
                rows = product.env["sale.fulfilment.stock"].search(
                    [("product_id", "=", self.chair.id)]
                )
                self.assertEqual(rows.warehouse_id, self.warehouse_b)
        with self.assertRaises(AccessError):
            _figure = (
                self.chair.with_user(self.user_b)
                .with_context(allowed_company_ids=[self.company.id])
                .in_stock_qty
            )

    def test_company_a_lines_are_invisible_and_refused(self):
        self._settle()
        line = self.order_a.order_line
        self.assertEqual(line.availability_status, "not_available")
        Line = self.env["sale.order.line"].with_user(self.user_b)
        self.assertFalse(Line.search([("availability_status", "=", "not_available")]))
        self.assertFalse(Line.search([("missing_qty", ">", 0)]))
        with self.assertRaises(AccessError):
            Line.browse(line.id).read(["availability_status", "missing_qty"])
        # Open the wizard, or fulfil through the method: refused, nothing made.
        before = self._counts()
        for mode in ("make_in_batch", "buy"):
            with self.subTest(mode=mode), self.assertRaises(AccessError):
                self.env["sale.order.line.fulfilment"].with_user(self.user_b)._action_open(
                    Line.browse(line.id), mode=mode
                )
            with self.subTest(mode=mode), self.assertRaises(AccessError):
                Line.browse(line.id)._fulfil(mode)
        # A user of both, with only B active: the same.
        only_b = (
            self.env["sale.order.line"]
            .with_user(self.user_ab)
            .with_context(allowed_company_ids=[self.company_b.id])
        )
        with self.assertRaises(AccessError):
            only_b.browse(line.id)._fulfil("buy")
        self.assertEqual(self._counts(), before)

    def test_company_a_orders_cannot_be_dragged(self):
        ranks = (self.order_a.fulfilment_priority, self.order_a2.fulfilment_priority)
        with self.assertRaises(AccessError):
            (self.order_a2 | self.order_a).with_user(self.user_b)._set_ranks()
        only_b = (
            self.env["sale.order"]
            .with_user(self.user_ab)
            .with_context(allowed_company_ids=[self.company_b.id])
        )
        with self.assertRaises(AccessError):
            only_b.browse((self.order_a2 | self.order_a).ids)._set_ranks()
        self.assertEqual(
            (self.order_a.fulfilment_priority, self.order_a2.fulfilment_priority), ranks
        )


@tagged("post_install", "-at_install")
class TestAnotherCompanysDragOverHttp(HttpCase, RightLevelsCase):
    def test_drag_of_another_companys_orders_over_http(self):
        company_b = self.env["res.company"].create({"name": "Rival furniture"})
        new_test_user(
            self.env,
            "lvl_http_company_b",
            groups=SALESMAN_ALL,
            company_id=company_b.id,
            company_ids=[(6, 0, company_b.ids)],
        )
        first, second = self._order([(self.chair, 1)]), self._order([(self.chair, 1)])
        ranks = (first.fulfilment_priority, second.fulfilment_priority)
        self.authenticate("lvl_http_company_b", "lvl_http_company_b")
        response = self.url_open(
            "/web/dataset/resequence",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "sale.order",
                        "ids": [second.id, first.id],
                        "field": "fulfilment_priority",
                        "context": {"allowed_company_ids": [self.company.id]},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        ).json()
        self.assertIn("error", response)
        self.env.invalidate_all()
        self.assertEqual((first.fulfilment_priority, second.fulfilment_priority), ranks)


@tagged("post_install", "-at_install")
class TestBuyerReadsAnOutsourcedOrder(RightLevelsCase):
    def test_purchase_user_reads_the_ingredients_of_an_outsourced_po(self):
        """A buyer without Manufacturing rights still sees the outsourced PO's
        Ingredients badge: the PO shows its own subcontracting MOs' status."""
        cushion = self._subcontracted_product("Cushion")
        cushion.bom_ids.bom_line_ids.product_id.route_ids = [
            (4, self.env.ref("mrp_subcontracting.route_resupply_subcontractor_mto").id)
        ]
        po = self._order([(cushion, 2)]).order_line._fulfil("outsource")
        self._settle()
        self.assertEqual(po.ingredient_availability, "not_available")
        buyer = self.users["lvl_purchase_user"]
        self.assertEqual(po.with_user(buyer).ingredient_availability, "not_available")
        production = po.order_line.move_ids.move_orig_ids.production_id
        with self.assertRaises(AccessError):
            _status = production.with_user(buyer).ingredient_availability
