import json

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestRights(FulfilmentCase):
    """Each door checks who passes it, whatever the client sends."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.own_salesman = new_test_user(
            cls.env, login="rights_own", groups="sales_team.group_sale_salesman"
        )
        cls.other_salesman = new_test_user(
            cls.env, login="rights_other", groups="sales_team.group_sale_salesman"
        )
        cls.sales_manager = new_test_user(
            cls.env, login="rights_manager", groups="sales_team.group_sale_manager"
        )
        cls.planner = new_test_user(cls.env, login="rights_mrp", groups="mrp.group_mrp_user")

    def test_booking_rows_are_not_readable_as_such(self):
        """The side tables name every company's documents: users read the
        results through the records they may read, never the tables."""
        self._order([(self.chair, 1)])
        self._settle()
        for model in (
            "sale.fulfilment.line.availability",
            "sale.fulfilment.order.availability",
            "sale.fulfilment.move.availability",
            "sale.fulfilment.production.availability",
            "sale.fulfilment.rebook.queue",
            "sale.fulfilment.booking.clock",
            "sale.fulfilment.document.clock",
        ):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.sales_manager).search_read([], ["id"])

    def test_warehouse_in_context_of_another_company_shows_nothing(self):
        other = self.env["res.company"].create({"name": "Rival furniture"})
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", other.id)])
        self.env["stock.quant"].with_company(other)._update_available_quantity(
            self.chair, warehouse.lot_stock_id, 7
        )
        self._settle()
        as_admin = self.chair.with_context(
            warehouse_id=warehouse.id, allowed_company_ids=[self.company.id, other.id]
        )
        self.assertEqual(as_admin.in_stock_qty, 7)
        as_salesman = self.chair.with_user(self.own_salesman).with_context(
            warehouse_id=warehouse.id
        )
        self.assertEqual(as_salesman.in_stock_qty, 0)
        by_name = self.chair.with_user(self.own_salesman).with_context(warehouse_id=warehouse.name)
        self.assertEqual(by_name.in_stock_qty, 0)

    def test_only_managers_write_a_rank_outright(self):
        order = self._order([(self.chair, 1)])
        order.user_id = self.own_salesman
        with self.assertRaises(AccessError):
            order.with_user(self.own_salesman).write({"fulfilment_priority": 1})
        order.with_user(self.sales_manager).write({"fulfilment_priority": 1})
        self.assertEqual(order.fulfilment_priority, 1)
        # A later confirmation still goes below every rank written by hand.
        order.with_user(self.sales_manager).write({"fulfilment_priority": 10**6})
        later = self._order([(self.chair, 1)])
        self.assertGreater(later.fulfilment_priority, 10**6)

    def test_salesman_drags_his_own_orders_not_others(self):
        mine_a, mine_b = self._order([(self.chair, 1)]), self._order([(self.chair, 1)])
        theirs = self._order([(self.chair, 1)])
        (mine_a | mine_b).user_id = self.own_salesman
        theirs.user_id = self.other_salesman
        ranks = (mine_a.fulfilment_priority, mine_b.fulfilment_priority)
        (mine_b | mine_a).with_user(self.own_salesman)._set_ranks()
        self.assertEqual((mine_b.fulfilment_priority, mine_a.fulfilment_priority), ranks)
        with self.assertRaises(AccessError):
            (theirs | mine_a).with_user(self.own_salesman)._set_ranks()

    def test_done_and_cancelled_mos_keep_their_rank(self):
        done = self.env["mrp.production"].create({"product_id": self.table.id, "product_qty": 1})
        done.action_confirm()
        self._produce(done)
        open_mo = self.env["mrp.production"].create({"product_id": self.table.id, "product_qty": 1})
        done_rank = done.schedule_priority
        (open_mo | done)._set_ranks()
        self.assertEqual(done.schedule_priority, done_rank)

    def test_make_to_order_cannot_be_created_by_a_client_context(self):
        """A client sending the addon's internal key still goes through the
        fulfilment path's checks."""
        order = self._order([(self.table, 1)])
        for context in ({"sale_fulfilment_sync": True}, {"sale_fulfilment_sync": "1"}):
            with self.subTest(context=context), self.assertRaises(UserError):
                self.env["mrp.production"].with_user(self.planner).with_context(**context).create(
                    {
                        "product_id": self.table.id,
                        "product_qty": 1,
                        "sale_line_id": order.order_line.id,
                        "fulfilment_mode": "make_to_order",
                    }
                )


@tagged("post_install", "-at_install")
class TestRankControllerRights(HttpCase):
    """The list's drag goes through a controller: checked over HTTP."""

    def _resequence(self, ids, context=None):
        response = self.url_open(
            "/web/dataset/resequence",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "sale.order",
                        "ids": ids,
                        "field": "fulfilment_priority",
                        "context": context or {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def test_drag_over_http_checks_the_orders_rights(self):
        env = self.env(context=dict(self.env.context, tracking_disable=True))
        own = new_test_user(env, login="http_own", groups="sales_team.group_sale_salesman")
        other = new_test_user(env, login="http_other", groups="sales_team.group_sale_salesman")
        customer = env["res.partner"].create({"name": "HTTP customer"})
        product = env["product.product"].create(
            {"name": "HTTP stool", "type": "consu", "is_storable": True}
        )

        def order(user):
            so = env["sale.order"].create(
                {
                    "partner_id": customer.id,
                    "user_id": user.id,
                    "order_line": [Command.create({"product_id": product.id})],
                }
            )
            so.action_confirm()
            return so

        mine_a, mine_b, theirs = order(own), order(own), order(other)
        ranks = (mine_a.fulfilment_priority, mine_b.fulfilment_priority)
        theirs_rank = theirs.fulfilment_priority
        self.authenticate("http_own", "http_own")
        # A client sending the internal keys gains nothing by them.
        result = self._resequence(
            [mine_b.id, mine_a.id], context={"sale_fulfilment_rank_sync": True}
        )
        self.assertTrue(result.get("result"), result)
        self.env.invalidate_all()
        self.assertEqual((mine_b.fulfilment_priority, mine_a.fulfilment_priority), ranks)
        result = self._resequence([theirs.id, mine_b.id])
        self.assertIn("error", result)
        self.env.invalidate_all()
        self.assertEqual(theirs.fulfilment_priority, theirs_rank)
