from odoo.exceptions import AccessError
from odoo.modules.migration import load_script
from odoo.modules.module import get_module_path
from odoo.tests import new_test_user, tagged

from ..models.fulfilment_booked_mixin import default_may_match
from .common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestBookedFields(FulfilmentCase):
    """Statuses live beside lines and orders, yet behave like stored fields."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._stock(cls.chair, 2)
        cls.service = cls.env["product.product"].create({"name": "Assembly", "type": "service"})
        cls.served = cls._order([(cls.chair, 2), (cls.service, 1)])
        cls.short = cls._order([(cls.chair, 3)], partner=cls.customer_b)
        cls.quotation = cls._order([(cls.chair, 1)], confirm=False)
        cls.orders = cls.served | cls.short | cls.quotation
        cls.env.flush_all()
        cls.env.cr.precommit.run()

    def _lines(self, domain, order="id"):
        Line = self.env["sale.order.line"]
        return Line.search([("order_id", "in", self.orders.ids), *domain], order=order)

    def _row_ids(self, table, ids):
        self.env.cr.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id", [ids])
        return [row[0] for row in self.env.cr.fetchall()]

    def test_lines_search_by_status_date_and_missing(self):
        chair_line, service_line = self.served.order_line
        short_line = self.short.order_line
        quoted_line = self.quotation.order_line
        self.assertEqual(self._lines([("availability_status", "=", "not_available")]), short_line)
        self.assertEqual(self._lines([("availability_status", "=", "in_stock")]), chair_line)
        # Lines that book nothing have no row: they are Not applicable all the same.
        self.assertEqual(
            self._lines([("availability_status", "=", "not_applicable")]),
            service_line | quoted_line,
        )
        self.assertEqual(
            self._lines([("availability_status", "!=", "not_available")]),
            chair_line | service_line | quoted_line,
        )
        self.assertEqual(
            self._lines([("availability_status", "in", ("in_stock", "not_available"))]),
            chair_line | short_line,
        )
        self.assertEqual(self._lines([("missing_qty", ">", 0)]), short_line)
        self.assertEqual(self._lines([("availability_date", "=", False)]).ids, self._lines([]).ids)

    def test_orders_search_by_status_also_through_their_lines(self):
        Order = self.env["sale.order"]
        scope = [("id", "in", self.orders.ids)]
        self.assertEqual(
            Order.search([*scope, ("availability_status", "=", "in_stock")]), self.served
        )
        self.assertEqual(
            Order.search([*scope, ("availability_status", "=", "not_applicable")]), self.quotation
        )
        self.assertEqual(
            Order.search([*scope, ("order_line.availability_status", "=", "not_available")]),
            self.short,
        )

    def test_lists_can_sort_and_group_by_status(self):
        for model in ("sale.order.line", "sale.order"):
            description = self.env[model].fields_get(["availability_status"])
            self.assertTrue(description["availability_status"]["sortable"], model)
            self.assertTrue(description["availability_status"]["groupable"], model)
            self.assertTrue(description["availability_status"]["searchable"], model)
        by_missing = self._lines([], order="missing_qty desc, id")
        self.assertEqual(by_missing[0], self.short.order_line)
        groups = self.env["sale.order.line"].read_group(
            [("order_id", "in", self.orders.ids)],
            ["missing_qty:sum"],
            ["availability_status"],
        )
        counts = {g["availability_status"]: g["availability_status_count"] for g in groups}
        self.assertEqual(counts, {"in_stock": 1, "not_available": 1, "not_applicable": 2})
        missing = {g["availability_status"]: g["missing_qty"] for g in groups}
        self.assertEqual(missing["not_available"], 3)
        order_groups = self.env["sale.order"].read_group(
            [("id", "in", self.orders.ids)], ["id:count"], ["availability_status"]
        )
        self.assertEqual(
            {g["availability_status"]: g["availability_status_count"] for g in order_groups},
            {"in_stock": 1, "not_available": 1, "not_applicable": 1},
        )

    def test_reading_statuses_of_many_lines_is_one_query(self):
        lines = self._lines([])
        lines.mapped("missing_qty")  # warms the unit's precision cache
        lines.invalidate_recordset()
        with self.assertQueryCount(1):
            lines.mapped("availability_status")
            lines.mapped("missing_qty")
            lines.mapped("availability_date")

    def test_a_salesman_reads_the_statuses_of_a_list_in_one_query(self):
        """The rows are read together with the record rules' check: one query
        for a list's statuses, as for a stored field, not one more to check
        the rules; an order the user may not read still raises."""
        salesman = new_test_user(
            self.env, "fulfil_list_reader", groups="sales_team.group_sale_salesman_all_leads"
        )
        orders = self.orders.with_user(salesman)
        orders.mapped("name")  # the orders' own columns, read as Odoo reads them
        with self.assertQueryCount(1):
            statuses = orders.mapped("availability_status")
        self.assertEqual(statuses, ["in_stock", "not_available", "not_applicable"])
        other = self.env["res.company"].create({"name": "Other company"})
        foreign = self.env["sale.order"].create(
            {"partner_id": self.served.partner_id.id, "company_id": other.id}
        )
        with self.assertRaises(AccessError):
            foreign.with_user(salesman).mapped("availability_status")

    def test_booking_leaves_the_rows_of_lines_and_orders_untouched(self):
        """A status changing never rewrites the line or order a user may be editing."""
        self.env.cr.execute(
            "SELECT ctid::text FROM sale_order_line WHERE id = %s UNION ALL "
            "SELECT ctid::text FROM sale_order WHERE id = %s",
            [self.short.order_line.id, self.short.id],
        )
        before = self.env.cr.fetchall()
        self._stock(self.chair, 3)
        self._settle()
        self.assertEqual(self.short.order_line.availability_status, "in_stock")
        self.assertEqual(self.short.availability_status, "in_stock")
        self.env.cr.execute(
            "SELECT ctid::text FROM sale_order_line WHERE id = %s UNION ALL "
            "SELECT ctid::text FROM sale_order WHERE id = %s",
            [self.short.order_line.id, self.short.id],
        )
        self.assertEqual(self.env.cr.fetchall(), before)

    def test_not_applicable_lines_and_orders_keep_no_row(self):
        line_ids = self.short.order_line.ids
        self.assertEqual(self._row_ids("sale_fulfilment_line_availability", line_ids), line_ids)
        self.assertEqual(
            self._row_ids("sale_fulfilment_order_availability", self.short.ids), self.short.ids
        )
        self.short._action_cancel()
        self._settle()
        self.assertEqual(self.short.order_line.availability_status, "not_applicable")
        self.assertEqual(self.short.availability_status, "not_applicable")
        self.assertEqual(self._row_ids("sale_fulfilment_line_availability", line_ids), [])
        self.assertEqual(self._row_ids("sale_fulfilment_order_availability", self.short.ids), [])
        self.assertEqual(self.served.order_line[0].availability_status, "in_stock")

    def test_deleting_lines_and_orders_deletes_their_rows(self):
        # As an import could leave them: rows for a quotation and its line.
        line = self.quotation.order_line
        self.env.cr.execute(
            "INSERT INTO sale_fulfilment_line_availability (id, status) VALUES (%s, 'expected');"
            "INSERT INTO sale_fulfilment_order_availability (id, status) VALUES (%s, 'expected');"
            "INSERT INTO sale_fulfilment_document_clock (order_id, bookings) VALUES (%s, 1)",
            [line.id, self.quotation.id, self.quotation.id],
        )
        self.quotation.unlink()
        self.assertEqual(self._row_ids("sale_fulfilment_line_availability", line.ids), [])
        self.assertEqual(
            self._row_ids("sale_fulfilment_order_availability", self.quotation.ids), []
        )
        self.env.cr.execute(
            "SELECT COUNT(*) FROM sale_fulfilment_document_clock WHERE order_id = %s",
            [self.quotation.id],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0, "its booking clock goes with it")

    def test_full_rebuild_purges_rows_of_records_deleted_in_sql(self):
        gone = [self.short.order_line.id, self.short.id]
        self.env.cr.execute(
            "DELETE FROM sale_order_line WHERE order_id = %s; DELETE FROM sale_order WHERE id = %s",
            [self.short.id, self.short.id],
        )
        self.env["sale.fulfilment.booking"]._rebook(None)
        self.assertEqual(self._row_ids("sale_fulfilment_line_availability", gone[:1]), [])
        self.assertEqual(self._row_ids("sale_fulfilment_order_availability", gone[1:]), [])
        self.assertTrue(
            self._row_ids("sale_fulfilment_line_availability", self.served.order_line.ids)
        )

    def test_a_line_in_a_form_shows_its_booked_status(self):
        self.env.invalidate_all()
        new_line = self.env["sale.order.line"].new(origin=self.short.order_line)
        self.assertEqual(new_line.availability_status, "not_available")
        self.assertEqual(new_line.missing_qty, 3)
        blank = self.env["sale.order.line"].new({"product_id": self.chair.id})
        self.assertEqual(blank.availability_status, "not_applicable")
        self.assertEqual(blank.missing_qty, 0)

    def _ctids(self, table, ids):
        self.env.cr.execute(f"SELECT ctid::text FROM {table} WHERE id = ANY(%s) ORDER BY id", [ids])
        return self.env.cr.fetchall()

    def test_production_and_component_results_live_beside_them(self):
        production = self._production(self.table, 1)
        self._settle()
        legs = production.move_raw_ids.filtered(lambda move: move.product_id == self.leg)
        self.assertEqual(production.ingredient_availability, "not_available")
        self.assertEqual(legs.fulfilment_missing_qty, 4)
        before = self._ctids("stock_move", legs.ids) + self._ctids("mrp_production", production.ids)
        self._stock(self.leg, 4)
        self._stock(self.top, 1)
        self._settle()
        self.assertEqual(production.ingredient_availability, "in_stock")
        self.assertEqual(legs.fulfilment_status, "in_stock")
        self.assertEqual(legs.fulfilment_missing_qty, 0)
        after = self._ctids("stock_move", legs.ids) + self._ctids("mrp_production", production.ids)
        self.assertEqual(after, before)
        Production = self.env["mrp.production"]
        self.assertEqual(
            Production.search(
                [("id", "=", production.id), ("ingredient_availability", "=", "in_stock")]
            ),
            production,
        )
        self.assertTrue(
            Production.fields_get(["ingredient_availability"])["ingredient_availability"][
                "groupable"
            ]
        )
        self.assertEqual(
            self.env["stock.move"].search(
                [
                    ("raw_material_production_id", "=", production.id),
                    ("fulfilment_status", "=", "in_stock"),
                ]
            ),
            production.move_raw_ids,
        )
        production.action_cancel()
        self._settle()
        self.assertFalse(production.ingredient_availability)
        self.assertEqual(
            self._row_ids("sale_fulfilment_production_availability", production.ids), []
        )
        self.env["sale.fulfilment.booking"]._rebook(None)
        self.assertEqual(self._row_ids("sale_fulfilment_move_availability", legs.ids), [])

    def test_upgrade_from_stored_columns_drops_them_and_books_everything(self):
        cr = self.env.cr
        cr.execute(
            "ALTER TABLE sale_order_line ADD COLUMN availability_status varchar;"
            "ALTER TABLE stock_move ADD COLUMN fulfilment_status varchar;"
            "DELETE FROM sale_fulfilment_line_availability;"
            "DELETE FROM sale_fulfilment_order_availability;"
        )
        path = get_module_path("sale_fulfilment")
        script = load_script(f"{path}/migrations/18.0.1.1.0/post-migration.py", "post_migration")
        script.migrate(cr, "18.0.1.0.0")
        cr.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE (table_name, column_name) IN "
            "(('sale_order_line', 'availability_status'), ('stock_move', 'fulfilment_status'))"
        )
        self.assertEqual(cr.fetchall(), [])
        self.env.invalidate_all()
        self.assertEqual(self.short.order_line.availability_status, "not_available")
        self.assertEqual(self.served.availability_status, "in_stock")

    def test_filters_that_only_rows_can_meet_read_the_narrow_table_alone(self):
        Line = self.env["sale.order.line"]
        narrow = Line._search([("availability_status", "=", "not_available")]).select()
        self.assertNotIn("LEFT JOIN", narrow.code)
        self.assertIn("sale_fulfilment_line_availability", narrow.code)
        # Not applicable is every line without a row: the lines must be read too.
        wide = Line._search([("availability_status", "=", "not_applicable")]).select()
        self.assertIn("LEFT JOIN", wide.code)
        cases = [
            ("not_applicable", "=", "not_applicable", True),
            ("not_applicable", "=", "expected", False),
            ("not_applicable", "in", ["expected", "in_stock"], False),
            ("not_applicable", "!=", "expected", True),
            ("not_applicable", "not in", ["not_applicable"], False),
            (0.0, ">", 0, False),
            (0.0, "<=", 0, True),
            (None, "=", False, True),
            (None, "!=", False, False),
            (None, ">", "2026-01-01", False),
            (0.0, "ilike", "x", True),
            ("not_applicable", "in", Line._search([]), True),
        ]
        for default, op, value, expected in cases:
            with self.subTest(default=default, op=op, value=value):
                self.assertEqual(default_may_match(default, op, value), expected)
