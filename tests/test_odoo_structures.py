from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestLineWarehouse(FulfilmentCase):
    """Odoo ships a line from its own warehouse when its route says so."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.annex = cls.env["stock.warehouse"].create({"name": "Annex", "code": "ANX"})
        cls.annex_route = cls.annex.delivery_route_id
        cls.annex_route.sale_selectable = True

    def _routed_order(self, product, qty):
        order = self._order([(product, qty)], confirm=False)
        order.order_line.route_id = self.annex_route
        order.action_confirm()
        return order

    def test_line_routed_to_another_warehouse_books_its_stock(self):
        self._stock(self.chair, 3, self.annex.lot_stock_id)
        routed = self._routed_order(self.chair, 3)
        plain = self._order([(self.chair, 3)])
        self._settle()
        self.assertEqual(routed.order_line.warehouse_id, self.annex)
        self.assertEqual(routed.order_line.availability_status, "in_stock")
        # The main warehouse has none: the annex's chairs are not its stock.
        self.assertEqual(plain.order_line.availability_status, "not_available")
        self.assertEqual(plain.order_line.missing_qty, 3)
        annex = self.chair.with_context(warehouse_id=self.annex.id)
        main = self.chair.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual((annex.committed_qty, main.committed_qty), (3, 3))

    def test_options_act_in_the_lines_warehouse(self):
        routed = self._routed_order(self.table, 1)
        production = routed.order_line._fulfil("make_to_order")
        self.assertEqual(production.picking_type_id, self.annex.manu_type_id)
        batch = self._routed_order(self.table, 2).order_line._fulfil("make_in_batch")
        self.assertEqual(batch.picking_type_id.warehouse_id, self.annex)
        self.chair.purchase_ok = True
        purchase = self._routed_order(self.chair, 2).order_line._fulfil("buy")
        self.assertEqual(purchase.picking_type_id, self.annex.in_type_id)
        self._settle()
        self.assertEqual(
            self.chair.with_context(warehouse_id=self.annex.id).expected_qty,
            2,
        )


@tagged("post_install", "-at_install")
class TestUnits(FulfilmentCase):
    def test_dozens_line_partly_delivered_leaves_no_noise(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        self._stock(self.chair, 1)
        order = self._order([], confirm=False)
        order.order_line = [
            Command.create(
                {"product_id": self.chair.id, "product_uom_qty": 1, "product_uom": dozen.id}
            )
        ]
        order.action_confirm()
        # One unit leaves, counted in units on the move line.
        move = order.order_line.move_ids
        move.move_line_ids.write({"product_uom_id": self.chair.uom_id.id, "quantity": 1})
        move.picked = True
        move.picking_id.with_context(skip_backorder=True, skip_sms=True).button_validate()
        self._settle()
        line = order.order_line
        self.assertEqual(line.qty_delivered, 0.08, "Odoo's own figure, rounded in dozens")
        self.assertEqual(line.missing_qty, 11)
        self.assertEqual(self.chair.with_context(warehouse_id=self.warehouse.id).committed_qty, 11)


@tagged("post_install", "-at_install")
class TestKits(FulfilmentCase):
    """A kit line (phantom bill of materials) is served by its components."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.kit = cls._kit_product()  # 4 legs and a top

    def test_kit_in_stock_takes_its_components_from_lower_ranks(self):
        self._stock(self.leg, 8)
        self._stock(self.top, 2)
        kits = self._order([(self.kit, 2)])
        legs = self._order([(self.leg, 1)])
        self._settle()
        line = kits.order_line
        self.assertEqual(line.availability_status, "in_stock")
        self.assertEqual(line.missing_qty, 0)
        # The kit's 8 legs are promised: the order below gets none.
        self.assertEqual(legs.order_line.availability_status, "not_available")
        self.assertEqual(legs.order_line.missing_qty, 1)
        main = self.leg.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual(main.committed_qty, 9)
        self.assertEqual(self.kit.with_context(warehouse_id=self.warehouse.id).committed_qty, 0)
        self.assertIn("Table leg", line.availability_explanation)

    def test_missing_is_counted_in_kits(self):
        self._stock(self.leg, 10)  # enough for 2 kits, not 3
        self._stock(self.top, 3)
        order = self._order([(self.kit, 3)])
        self._settle()
        line = order.order_line
        self.assertEqual(line.availability_status, "not_available")
        self.assertEqual(line.missing_qty, 1)

    def test_kit_expected_on_its_latest_component(self):
        self._stock(self.leg, 4)
        po = self._purchase(self.top, 1, days=9)
        order = self._order([(self.kit, 1)])
        self._settle()
        line = order.order_line
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(line.availability_date, po.order_line.date_planned.date())

    def test_component_moves_rebook_the_kit_and_delivery_ends_it(self):
        order = self._order([(self.kit, 1)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "not_available")
        self._stock(self.leg, 4)
        self._stock(self.top, 1)
        self._settle()
        self.assertEqual(order.order_line.availability_status, "in_stock")
        order.picking_ids.action_assign()
        self._deliver(order)
        self._settle()
        self.assertEqual(order.order_line.availability_status, "delivered")
        self.assertEqual(self.leg.with_context(warehouse_id=self.warehouse.id).committed_qty, 0)

    def test_a_product_made_a_kit_is_booked_as_a_kit(self):
        """A planner who turns a product into a kit sees its open lines booked
        from the components at once, without another change."""
        table = self._product("Assembled table", sale_ok=True)
        self._stock(self.leg, 4)
        self._stock(self.top, 1)
        first = self._order([(table, 1)])
        self._settle()
        self.assertEqual(first.order_line.availability_status, "not_available")
        self._kit_bom(table, [(self.leg, 4), (self.top, 1)])
        self._settle()
        self.assertEqual(first.order_line.availability_status, "in_stock")
        self.assertEqual(self.leg.with_context(warehouse_id=self.warehouse.id).committed_qty, 4)
        second = self._order([(table, 1)])
        self._settle()
        self.assertEqual(second.order_line.availability_status, "not_available")

    def test_a_component_added_to_a_kit_books_its_kits(self):
        # Made before any booking: the kits the booking keeps between
        # transactions are read without it.
        glue = self._product("Wood glue")
        self._stock(self.leg, 8)
        self._stock(self.top, 2)
        order = self._order([(self.kit, 2)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "in_stock")
        bom = self.env["mrp.bom"]._bom_find(self.kit, bom_type="phantom")[self.kit]
        bom.bom_line_ids = [Command.create({"product_id": glue.id, "product_qty": 1})]
        self._settle()
        line = order.order_line
        self.assertEqual(line.availability_status, "not_available")
        self.assertEqual(line.missing_qty, 2)
        self.assertIn("Wood glue", line.availability_explanation)
        # A later change of the glue alone books the kit: the kept kits know it.
        self._stock(glue, 2)
        self._settle()
        self.assertEqual(line.availability_status, "in_stock")


@tagged("post_install", "-at_install")
class TestBuyLikeOdoo(FulfilmentCase):
    def test_vendor_is_odoos_choice_for_the_quantity(self):
        """A cheaper vendor who sells by 10 is Odoo's choice for 12 chairs, not
        for 3: the wizard proposes what Odoo's procurement would."""
        bulk = self.env["res.partner"].create({"name": "Bulk Chairs"})
        self.chair.seller_ids = [
            Command.create({"partner_id": bulk.id, "price": 30.0, "min_qty": 10, "sequence": 0})
        ]
        few = self._order([(self.chair, 3)]).order_line
        many = self._order([(self.chair, 12)]).order_line
        self._settle()
        self.assertEqual(few._fulfilment_default_partner("buy"), self.vendor)
        self.assertEqual(many._fulfilment_default_partner("buy"), bulk)
        expected = self.chair._select_seller(quantity=12, uom_id=self.chair.uom_id).partner_id
        self.assertEqual(expected, bulk)
        wizard = self.env["sale.order.line.fulfilment"].create(
            {"mode": "buy", "line_ids": [Command.create({"sale_line_id": many.id})]}
        )
        wizard._onchange_mode()
        self.assertEqual(wizard.line_ids.partner_id, bulk)

    def _buy(self, line, partner=None, rfq_only=False, qty=None):
        return line._fulfil(
            "buy",
            quantities={line.id: qty} if qty is not None else None,
            partners={line.id: partner} if partner else None,
            rfq_only=rfq_only,
        )

    def test_currency_is_the_vendor_pricelists(self):
        """The vendor sells in another currency: the PO is in that currency, at
        his price unconverted, and does not join an RFQ of his in ours."""
        eur, usd = self.env.ref("base.EUR"), self.env.ref("base.USD")
        foreign = eur if self.company.currency_id != eur else usd
        foreign.active = True
        self.chair.seller_ids.currency_id = foreign
        ours = self._purchase(self.chair, 1, confirm=False)
        ours.user_id = False  # as Odoo's buy rule would group it, but for the currency
        self.assertEqual(ours.currency_id, self.company.currency_id)
        po = self._buy(self._order([(self.chair, 3)]).order_line)
        self.assertNotEqual(po, ours)
        self.assertEqual(po.currency_id, foreign)
        self.assertEqual(po.order_line.price_unit, 40)
        self.assertEqual(len(ours.order_line), 1)

    def test_dates_follow_the_vendors_delay(self):
        """5 days' vendor delay, 1 day of purchase security lead time, 3 days to
        purchase: Odoo's procurement wants the chairs in 5 + 1 + 3 = 9 days and
        plans them 1 day before, in 8 days, ordered in 8 - 5 = 3 days."""
        self.chair.seller_ids.delay = 5
        self.company.write({"po_lead": 1, "days_to_purchase": 3})
        # Odoo plans from now, in UTC: the user's day may already be another.
        today = fields.Date.today()
        line = self._order([(self.chair, 3)]).order_line
        po = self._buy(line)
        self.assertEqual(po.order_line.date_planned.date(), today + timedelta(days=8))
        self.assertEqual(po.date_order.date(), today + timedelta(days=3))
        self.assertEqual(po.date_planned.date(), today + timedelta(days=8))
        self.assertEqual(po.picking_ids.scheduled_date.date(), today + timedelta(days=8))
        self._settle()
        self.assertEqual(line.availability_status, "expected")
        self.assertEqual(line.availability_date, today + timedelta(days=8))

    def test_buyer_is_the_vendors(self):
        """The PO's buyer is the vendor's buyer, as Odoo's buy rule sets it,
        whoever presses Buy; an RFQ of the vendor by another buyer is not joined."""
        buyer = new_test_user(self.env, "chair_buyer", groups="purchase.group_purchase_user")
        self.vendor.buyer_id = buyer
        someone_elses = self._purchase(self.chair, 1, confirm=False)
        self.assertNotEqual(someone_elses.user_id, buyer)
        po = self._buy(self._order([(self.chair, 3)]).order_line, rfq_only=True)
        self.assertNotEqual(po, someone_elses)
        self.assertEqual(po.user_id, buyer)
        again = self._buy(self._order([(self.chair, 2)]).order_line)
        self.assertEqual(again, po)
        self.assertEqual(po.order_line.product_qty, 5)
        self.assertEqual(po.state, "purchase")

    def test_receipt_type_is_the_lines_warehouse_buy_rules(self):
        """A line shipped from the annex buys into the annex (its buy rule's
        receipt type and stock), the other one into the main warehouse: the
        same vendor gets two POs, as Odoo's buy rule groups by receipt type."""
        annex = self.env["stock.warehouse"].create({"name": "Annex", "code": "ANX"})
        annex.delivery_route_id.sale_selectable = True
        order = self._order([(self.chair, 2), (self.chair, 3)], confirm=False)
        annex_line, main_line = order.order_line
        annex_line.route_id = annex.delivery_route_id
        order.action_confirm()
        self.assertEqual(annex_line.warehouse_id, annex)
        pos = order.order_line._fulfil("buy")
        self.assertEqual(len(pos), 2)
        annex_po = pos.filtered(lambda po: po.picking_type_id == annex.in_type_id)
        main_po = pos - annex_po
        self.assertEqual(annex.buy_pull_id.picking_type_id, annex.in_type_id)
        self.assertEqual(main_po.picking_type_id, self.warehouse.in_type_id)
        self.assertEqual(annex_po.order_line.fulfilment_sale_line_ids, annex_line)
        self.assertEqual(annex_po.order_line.product_qty, 2)
        self.assertEqual(annex_po.order_line.location_final_id, annex.lot_stock_id)
        self.assertEqual(main_po.order_line.fulfilment_sale_line_ids, main_line)
        self.assertEqual(main_po.order_line.product_qty, 3)
        self.assertEqual(annex_po.picking_ids.location_dest_id, annex.lot_stock_id)

    def test_price_for_the_quantity(self):
        """40 a chair, 35 from 10 chairs: 3 chairs cost 40, 12 cost 35."""
        self.chair.seller_ids = [
            Command.create({"partner_id": self.vendor.id, "price": 35.0, "min_qty": 10})
        ]
        few = self._buy(self._order([(self.chair, 3)]).order_line)
        many = self._buy(self._order([(self.chair, 12)]).order_line)
        self.assertEqual(few.order_line.price_unit, 40)
        self.assertEqual(many.order_line.price_unit, 35)

    def test_two_lines_of_one_product_make_one_po_line(self):
        """As Odoo merges procurements of one product: 6 + 6 chairs are one PO
        line of 12, priced for 12 (35, not 40), serving both lines."""
        self.chair.seller_ids = [
            Command.create({"partner_id": self.vendor.id, "price": 35.0, "min_qty": 10})
        ]
        first = self._order([(self.chair, 6)])
        second = self._order([(self.chair, 6)])
        lines = first.order_line | second.order_line
        po = lines._fulfil("buy")
        self.assertEqual(len(po), 1)
        self.assertEqual(len(po.order_line), 1)
        self.assertEqual(po.order_line.product_qty, 12)
        self.assertEqual(po.order_line.price_unit, 35)
        self.assertEqual(po.order_line.fulfilment_sale_line_ids, lines)
        self.assertEqual(set(po.origin.split(", ")), {first.name, second.name})
        self.assertEqual(lines.fulfilment_purchase_line_ids, po.order_line)
        self._settle()
        self.assertEqual(set(lines.mapped("availability_status")), {"expected"})

    def test_vendor_without_a_price(self):
        """A vendor the user picks who has no price for the chair: the PO is his
        (Odoo would fall back on the listed vendor), in the company's currency,
        priced at the chair's cost as when typed by hand, due today (no delay);
        the same when his only price needs more chairs than bought."""
        self.chair.standard_price = 25
        self.chair.seller_ids.delay = 4
        today = fields.Date.today()  # Odoo plans from now, in UTC
        newcomer = self.env["res.partner"].create({"name": "Chairs & Co"})
        po = self._buy(self._order([(self.chair, 3)]).order_line, partner=newcomer)
        self.assertEqual(po.partner_id, newcomer)
        self.assertEqual(po.currency_id, self.company.currency_id)
        self.assertEqual(po.order_line.price_unit, 25)
        self.assertEqual(po.order_line.product_qty, 3)
        self.assertEqual(po.order_line.date_planned.date(), today)
        self.assertEqual(po.state, "purchase")
        wholesaler = self.env["res.partner"].create({"name": "Wholesale Chairs"})
        self.chair.seller_ids = [
            Command.create({"partner_id": wholesaler.id, "price": 20.0, "min_qty": 100})
        ]
        po = self._buy(self._order([(self.chair, 3)]).order_line, partner=wholesaler)
        self.assertEqual(po.partner_id, wholesaler)
        self.assertEqual(po.order_line.price_unit, 25)
        # Joining his RFQ keeps the line's price (Odoo's buy rule would set 0).
        rfq = self._buy(self._order([(self.chair, 1)]).order_line, partner=newcomer, rfq_only=True)
        self._buy(self._order([(self.chair, 2)]).order_line, partner=newcomer, rfq_only=True)
        self.assertEqual(rfq.order_line.product_qty, 3)
        self.assertEqual(rfq.order_line.price_unit, 25)

    def test_warehouse_without_a_buy_rule(self):
        line = self._order([(self.chair, 3)]).order_line
        # Odoo gives every warehouse one (archived when it does not buy); an
        # upgrade or a script may still have lost it.
        self.env.cr.execute(
            "UPDATE stock_warehouse SET buy_pull_id = NULL WHERE id = %s", [self.warehouse.id]
        )
        self.warehouse.invalidate_recordset(["buy_pull_id"])
        with self.assertRaisesRegex(UserError, "has no Buy rule"):
            line._fulfil("buy")


@tagged("post_install", "-at_install")
class TestOutsourcingIngredients(FulfilmentCase):
    """What a subcontractor needs from the warehouse is booked like an MO's
    components, after the sales lines, in his MO's schedule rank."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cushion = cls._subcontracted_product()  # 2 fabric per cushion
        cls.fabric = cls.cushion.bom_ids.bom_line_ids.product_id
        cls.fabric.route_ids = [
            Command.link(cls.env.ref("mrp_subcontracting.route_resupply_subcontractor_mto").id)
        ]

    def test_resupplied_components_are_booked_from_the_warehouse(self):
        self._stock(self.fabric, 5)
        po = self._purchase(self.cushion, 2, partner=self.subcontractor)
        production = po.order_line.move_ids._get_subcontract_production()
        self.assertTrue(production)
        self._settle()
        self.assertEqual(production.ingredient_availability, "in_stock")
        self.assertEqual(po.ingredient_availability, "in_stock")
        main = self.fabric.with_context(warehouse_id=self.warehouse.id)
        self.assertEqual(main.committed_qty, 4)
        # A sales line of fabric books first: the subcontractor's fabric runs short.
        order = self._order([(self.fabric, 3)])
        self._settle()
        self.assertEqual(order.order_line.availability_status, "in_stock")
        self.assertEqual(production.ingredient_availability, "not_available")
        self.assertEqual(po.ingredient_availability, "not_available")
        self.assertEqual(main.committed_qty, 7)

    def test_schedule_shows_subcontracting_mos(self):
        po = self._purchase(self.cushion, 1, partner=self.subcontractor)
        production = po.order_line.move_ids._get_subcontract_production()
        action = self.env.ref("sale_fulfilment.mrp_production_action_schedule")
        domain = safe_eval(action.domain)
        self.assertIn(production, self.env["mrp.production"].search(domain))


@tagged("post_install", "-at_install")
class TestReadableRanksAndProduction(FulfilmentCase):
    def test_position_counts_open_orders_of_the_company(self):
        self._stock(self.chair, 10)
        first, second, third = (self._order([(self.chair, 1)]) for _i in range(3))
        quotation = self._order([(self.chair, 1)], confirm=False)
        self._settle()
        open_before = self.env["sale.order"].search_count(
            [
                ("state", "=", "sale"),
                ("availability_status", "in", ("in_stock", "expected", "not_available")),
                ("company_id", "=", self.company.id),
                ("fulfilment_priority", "<", first.fulfilment_priority),
            ]
        )
        self.assertEqual(
            [o.fulfilment_position for o in (first, second, third)],
            [open_before + 1, open_before + 2, open_before + 3],
        )
        self.assertEqual(quotation.fulfilment_position, 0)
        (third | first)._set_ranks()
        self._deliver(second)
        self._settle()
        self.env.invalidate_all()
        self.assertEqual(second.fulfilment_position, 0, "delivered: no longer open")
        self.assertEqual(third.fulfilment_position, open_before + 1)
        self.assertEqual(first.fulfilment_position, open_before + 2)

    def test_production_state_of_a_make_to_order_line(self):
        order = self._order([(self.table, 1)])
        line = order.order_line
        self.assertFalse(line.production_state)
        production = line._fulfil("make_to_order")
        self._settle()
        line.invalidate_recordset()
        # No legs nor top in stock: its ingredients are Not available.
        self.assertEqual(production.ingredient_availability, "not_available")
        self.assertEqual(line.production_state, "blocked")
        self._stock(self.leg, 4)
        self._stock(self.top, 1)
        self._settle()
        line.invalidate_recordset()
        self.assertEqual(line.production_state, "not_started")
        self._produce(production)
        line.invalidate_recordset()
        self.assertEqual(line.production_state, "done")
