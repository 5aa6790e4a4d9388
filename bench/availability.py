#!/usr/bin/env python3
"""Benchmark of the availability booking of sale_fulfilment on a large data set.

Run it through ``bench/run.sh``, which prepares the environment and the
database; see ``bench/README.md``. Standalone::

    python bench/availability.py -c ODOO_CONF -d sf_bench [--sample 500] ...

The data set is written in bulk SQL, the way an import would write it, and
committed once; later runs find a marker and reuse it. Everything the
measurements write is rolled back, so the database always returns to its
"just imported" state and every run measures the same thing.
"""

import argparse
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import random
import sys
import threading
import time
from contextlib import contextmanager

import psycopg2

import odoo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import out, short_sql, table, verdict

MARKER_KEY = "sale_fulfilment.bench_dataset"
# Exit status telling bench/run.sh that the database holds another data set.
EXIT_OTHER_DATASET = 3
BUILD_PARAMS = (
    "products",
    "orders",
    "lines",
    "stock_share",
    "mos",
    "components",
    "po_lines",
    "po_lines_per_order",
    "seed",
)
TARGET_TIME = 5.0
TARGET_QUERIES = 30
TARGET_RATIO = 100.0
PAGE = 80


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", default="sf_bench")
    size = parser.add_argument_group("data set (a change needs a new database: run.sh does it)")
    size.add_argument("--products", type=int, default=10_000, help="storable products")
    size.add_argument("--orders", type=int, default=20_000, help="confirmed sale orders")
    size.add_argument("--lines", type=int, default=100_000, help="open sale order lines")
    size.add_argument(
        "--stock-share", type=float, default=0.5, help="share of products with stock on hand"
    )
    size.add_argument("--mos", type=int, default=5_000, help="confirmed MOs (expected supply)")
    size.add_argument("--components", type=int, default=2, help="component moves per MO")
    size.add_argument("--po-lines", type=int, default=5_000, help="confirmed PO lines")
    size.add_argument("--po-lines-per-order", type=int, default=5)
    size.add_argument("--seed", type=int, default=42, help="seed of the random data")
    run = parser.add_argument_group("measurements")
    run.add_argument(
        "--sample",
        default="500",
        help="lines for Odoo's _compute_qty_at_date (comma-separated for several sizes)",
    )
    run.add_argument(
        "--scaling",
        default="10000,25000,50000,100000",
        help="line counts of the scaling table (comma-separated, empty to skip)",
    )
    run.add_argument(
        "--repeat", type=int, default=3, help="repeats of the full rebuild (median reported)"
    )
    run.add_argument(
        "--profile", action="store_true", help="cProfile the full rebuild (Python side)"
    )
    run.add_argument(
        "--history",
        type=int,
        default=100_000,
        metavar="N",
        help="done moves and lines added to one product for the history table (0 to skip)",
    )
    run.add_argument(
        "--explain",
        type=int,
        default=0,
        metavar="N",
        help="EXPLAIN ANALYZE the N slowest queries of the full rebuild's 1st run",
    )
    args = parser.parse_args(argv)
    if not args.database.startswith("sf_bench"):
        parser.error("the benchmark only uses databases whose name starts with sf_bench")
    return args


# ----------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------
class Measure:
    """Wall time, queries (``cr.sql_log_count``) and each query's own time."""

    def __init__(self, label):
        self.label = label
        self.time = 0.0
        self.queries = 0
        self.log = []
        self.steps = []

    @property
    def sql_time(self):
        return sum(delay for delay, _query, _params in self.log)


@contextmanager
def measure(cr, label):
    result = Measure(label)
    thread = threading.current_thread()
    previous = getattr(thread, "query_hooks", ())

    def hook(_cr, query, params, _start, delay):
        result.log.append((delay, query, params))

    thread.query_hooks = (*previous, hook)
    count = cr.sql_log_count
    start = time.perf_counter()
    try:
        yield result
    finally:
        result.time = time.perf_counter() - start
        result.queries = cr.sql_log_count - count
        thread.query_hooks = previous


# ----------------------------------------------------------------------
# Building the data set
# ----------------------------------------------------------------------
def table_columns(cr, table_name):
    cr.execute(
        """
        SELECT column_name, is_nullable = 'NO' AND column_default IS NULL
          FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = %s
         ORDER BY ordinal_position
        """,
        [table_name],
    )
    return cr.fetchall()


def insert(cr, table_name, values, source, params=None):
    """INSERT INTO table (columns of ``values``) SELECT expressions FROM source.

    Refuses, naming them, NOT NULL columns without default that ``values``
    leaves out: another module may have added one since this was written.
    """
    columns = table_columns(cr, table_name)
    missing = [name for name, required in columns if required and name not in values]
    if missing:
        raise SystemExit(
            f"bench: {table_name} has NOT NULL columns the bench does not fill: "
            f"{', '.join(missing)}"
        )
    unknown = set(values) - {name for name, _required in columns}
    if unknown:
        raise SystemExit(f"bench: {table_name} has no column {', '.join(sorted(unknown))}")
    names = list(values)
    cr.execute(
        f"INSERT INTO {table_name} ({', '.join(names)}) "
        f"SELECT {', '.join(values[n] for n in names)} FROM {source}",
        params or {},
    )
    return cr.rowcount


def clone(cr, table_name, template_id, overrides, source, params=None):
    """Copy the shape of one existing row, once per row of ``source``."""
    values = {name: f"t.{name}" for name, _required in table_columns(cr, table_name)}
    values.update(overrides)
    return insert(
        cr,
        table_name,
        values,
        f"{table_name} t CROSS JOIN {source} WHERE t.id = %(template_id)s",
        {**(params or {}), "template_id": template_id},
    )


def scalar(cr, query, params=None):
    cr.execute(query, params or {})
    row = cr.fetchone()
    return row and row[0]


def build_dataset(env, args):
    cr = env.cr
    steps = []

    def step(label, function):
        start = time.perf_counter()
        rows = function()
        steps.append((label, rows, time.perf_counter() - start))

    company = env.ref("base.main_company")
    warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
    unit = env.ref("uom.product_uom_unit")
    stock = warehouse.lot_stock_id
    customers = env.ref("stock.stock_location_customers")
    suppliers = env.ref("stock.stock_location_suppliers")
    production = env["stock.location"].search(
        [("usage", "=", "production"), ("company_id", "=", company.id)], limit=1
    )
    template = env["product.product"].browse(
        scalar(
            cr,
            """
            SELECT pp.id FROM product_product pp
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE pt.type = 'consu' AND pt.is_storable AND pt.tracking = 'none'
               AND pt.uom_id = %(unit)s AND pt.company_id IS NULL AND pp.active
               AND NOT EXISTS (SELECT 1 FROM product_product v
                                WHERE v.product_tmpl_id = pt.id AND v.id != pp.id)
             ORDER BY pp.id LIMIT 1
            """,
            {"unit": unit.id},
        )
    )
    partners = env["res.partner"].search(
        [("customer_rank", ">", 0), ("id", "not in", env["res.company"].search([]).partner_id.ids)]
    ) or env["res.partner"].search([("is_company", "=", True)], limit=20)
    vendors = env["res.partner"].search([("supplier_rank", ">", 0)]) or partners
    pricelist = env["product.pricelist"].search(
        [("company_id", "in", [company.id, False])], limit=1
    )
    team = env["crm.team"].search([("company_id", "in", [company.id, False])], limit=1)
    params = {
        "n_products": args.products,
        "n_orders": args.orders,
        "n_lines": args.lines,
        "n_mos": args.mos,
        "n_components": args.components,
        "n_po_lines": args.po_lines,
        "n_pos": -(-args.po_lines // args.po_lines_per_order),
        "stock_share": args.stock_share,
        "company": company.id,
        "currency": company.currency_id.id,
        "warehouse": warehouse.id,
        "unit": unit.id,
        "stock": stock.id,
        "customers": customers.id,
        "suppliers": suppliers.id,
        "production": production.id,
        "type_out": warehouse.out_type_id.id,
        "type_in": warehouse.in_type_id.id,
        "type_mrp": warehouse.manu_type_id.id,
        "partners": partners.ids,
        "vendors": vendors.ids,
        "pricelist": pricelist.id or None,
        "team": team.id or None,
        "user": env.ref("base.user_admin").id,
        "uid": env.uid,
        "so_rank": scalar(cr, "SELECT COALESCE(MAX(fulfilment_priority), 0) FROM sale_order"),
        "mo_rank": scalar(cr, "SELECT COALESCE(MAX(schedule_priority), 0) FROM mrp_production"),
    }
    cr.execute("SELECT setseed(%s)", [(args.seed % 1000) / 1000.0])

    # Identifiers and random figures first, in temporary tables, so that the
    # inserts below are plain joins.
    def ids():
        cr.execute(
            """
            CREATE TEMP TABLE sfb_products ON COMMIT DROP AS
            SELECT i, nextval('product_template_id_seq')::int AS tmpl_id,
                   nextval('product_product_id_seq')::int AS id,
                   floor(i * %(stock_share)s) > floor((i - 1) * %(stock_share)s) AS has_stock,
                   floor(random() * 80)::numeric AS on_hand,
                   (10 + i %% 90)::numeric AS price
              FROM generate_series(1, %(n_products)s) i;
            CREATE UNIQUE INDEX ON sfb_products (i);

            CREATE TEMP TABLE sfb_orders ON COMMIT DROP AS
            SELECT i, nextval('sale_order_id_seq')::int AS id,
                   nextval('stock_picking_id_seq')::int AS picking_id,
                   'SFB/' || lpad(i::text, 6, '0') AS name,
                   (%(partners)s::int[])[1 + i %% cardinality(%(partners)s::int[])] AS partner_id,
                   (now() at time zone 'UTC') - interval '90 days'
                       + (i * interval '90 days') / %(n_orders)s AS date_order,
                   %(so_rank)s + i AS rank
              FROM generate_series(1, %(n_orders)s) i;
            CREATE UNIQUE INDEX ON sfb_orders (i);

            CREATE TEMP TABLE sfb_lines ON COMMIT DROP AS
            SELECT k, nextval('sale_order_line_id_seq')::int AS id,
                   nextval('stock_move_id_seq')::int AS move_id,
                   1 + (k::bigint * %(n_orders)s / %(n_lines)s)::int AS order_i,
                   1 + floor(random() * %(n_products)s)::int AS product_i,
                   (1 + floor(random() * 10))::numeric AS qty
              FROM generate_series(0, %(n_lines)s - 1) k;

            CREATE TEMP TABLE sfb_mos ON COMMIT DROP AS
            SELECT i, nextval('mrp_production_id_seq')::int AS id,
                   nextval('stock_move_id_seq')::int AS move_id,
                   'WH/MO/SFB/' || lpad(i::text, 6, '0') AS name,
                   1 + floor(random() * %(n_products)s)::int AS product_i,
                   (10 + floor(random() * 51))::numeric AS qty,
                   (now() at time zone 'UTC') + floor(random() * 60) * interval '1 day'
                       AS date_start,
                   %(mo_rank)s + i AS rank
              FROM generate_series(1, %(n_mos)s) i;

            CREATE TEMP TABLE sfb_components ON COMMIT DROP AS
            SELECT mo.id AS mo_id, mo.name, mo.qty AS mo_qty, mo.date_start, c AS sequence,
                   nextval('stock_move_id_seq')::int AS id,
                   1 + floor(random() * %(n_products)s)::int AS product_i,
                   (1 + floor(random() * 10))::numeric AS qty
              FROM sfb_mos mo, generate_series(1, %(n_components)s) c;

            CREATE TEMP TABLE sfb_pos ON COMMIT DROP AS
            SELECT i, nextval('purchase_order_id_seq')::int AS id,
                   nextval('stock_picking_id_seq')::int AS picking_id,
                   'P/SFB/' || lpad(i::text, 6, '0') AS name,
                   'WH/IN/SFB/' || lpad(i::text, 6, '0') AS picking_name,
                   (%(vendors)s::int[])[1 + i %% cardinality(%(vendors)s::int[])] AS partner_id,
                   (now() at time zone 'UTC') - interval '20 days'
                       + (i * interval '20 days') / %(n_pos)s AS date_order,
                   (now() at time zone 'UTC') + (1 + floor(random() * 45)) * interval '1 day'
                       AS date_planned
              FROM generate_series(1, %(n_pos)s) i;
            CREATE UNIQUE INDEX ON sfb_pos (i);

            CREATE TEMP TABLE sfb_po_lines ON COMMIT DROP AS
            SELECT k, nextval('purchase_order_line_id_seq')::int AS id,
                   nextval('stock_move_id_seq')::int AS move_id,
                   1 + (k / %(per_po)s) AS po_i,
                   1 + floor(random() * %(n_products)s)::int AS product_i,
                   (10 + floor(random() * 51))::numeric AS qty
              FROM generate_series(0, %(n_po_lines)s - 1) k;
            ANALYZE sfb_products, sfb_orders, sfb_lines, sfb_mos, sfb_components, sfb_pos,
                    sfb_po_lines;
            """,
            {**params, "per_po": args.po_lines_per_order},
        )
        return args.products + args.orders + args.lines + args.mos + args.po_lines

    step("identifiers and random figures", ids)

    # Products: the shape of an existing storable product, renamed.
    def products():
        rows = clone(
            cr,
            "product_template",
            template.product_tmpl_id.id,
            {
                "id": "s.tmpl_id",
                "name": "jsonb_build_object('en_US', 'Bench product ' || lpad(s.i::text, 5, '0'))",
                "default_code": "'SFB-' || lpad(s.i::text, 5, '0')",
                "type": "'consu'",
                "is_storable": "TRUE",
                "uom_id": "%(unit)s",
                "uom_po_id": "%(unit)s",
                "company_id": "NULL",
                "tracking": "'none'",
                "list_price": "s.price",
                "sale_ok": "TRUE",
                "purchase_ok": "TRUE",
                "active": "TRUE",
                "create_uid": "%(uid)s",
                "write_uid": "%(uid)s",
                "create_date": "now() at time zone 'UTC'",
                "write_date": "now() at time zone 'UTC'",
            },
            "sfb_products s",
            params,
        )
        rows += clone(
            cr,
            "product_product",
            template.id,
            {
                "id": "s.id",
                "product_tmpl_id": "s.tmpl_id",
                "default_code": "'SFB-' || lpad(s.i::text, 5, '0')",
                "barcode": "NULL",
                "combination_indices": "''",
                "active": "TRUE",
                "create_uid": "%(uid)s",
                "write_uid": "%(uid)s",
                "create_date": "now() at time zone 'UTC'",
                "write_date": "now() at time zone 'UTC'",
            },
            "sfb_products s",
            params,
        )
        return rows

    step("products (product_template + product_product)", products)

    audit = {
        "create_uid": "%(uid)s",
        "write_uid": "%(uid)s",
        "create_date": "now() at time zone 'UTC'",
        "write_date": "now() at time zone 'UTC'",
    }

    def quants():
        return insert(
            cr,
            "stock_quant",
            {
                "product_id": "p.id",
                "company_id": "%(company)s",
                "location_id": "%(stock)s",
                "quantity": "p.on_hand",
                "reserved_quantity": "0",
                "inventory_quantity_set": "FALSE",
                "in_date": "now() at time zone 'UTC'",
                **audit,
            },
            "sfb_products p WHERE p.has_stock",
            params,
        )

    step("stock quants (WH/Stock)", quants)

    def orders():
        rows = insert(
            cr,
            "sale_order",
            {
                "id": "o.id",
                "name": "o.name",
                "company_id": "%(company)s",
                "partner_id": "o.partner_id",
                "partner_invoice_id": "o.partner_id",
                "partner_shipping_id": "o.partner_id",
                "pricelist_id": "%(pricelist)s",
                "currency_id": "%(currency)s",
                "currency_rate": "1",
                "user_id": "%(user)s",
                "team_id": "%(team)s",
                "state": "'sale'",
                "date_order": "o.date_order",
                "picking_policy": "'direct'",
                "warehouse_id": "%(warehouse)s",
                "invoice_status": "'no'",
                "delivery_status": "'pending'",
                "locked": "FALSE",
                "require_signature": "FALSE",
                "require_payment": "FALSE",
                "amount_untaxed": "0",
                "amount_tax": "0",
                "amount_total": "0",
                "fulfilment_priority": "o.rank",
                **audit,
            },
            "sfb_orders o",
            params,
        )
        rows += insert(
            cr,
            "stock_picking",
            {
                "id": "o.picking_id",
                "name": "'WH/OUT/SFB/' || lpad(o.i::text, 6, '0')",
                "origin": "o.name",
                "sale_id": "o.id",
                "partner_id": "o.partner_id",
                "company_id": "%(company)s",
                "picking_type_id": "%(type_out)s",
                "location_id": "%(stock)s",
                "location_dest_id": "%(customers)s",
                "move_type": "'direct'",
                "state": "'confirmed'",
                "priority": "'0'",
                "is_locked": "TRUE",
                "printed": "FALSE",
                "has_deadline_issue": "FALSE",
                "scheduled_date": "o.date_order + interval '14 days'",
                "date_deadline": "o.date_order + interval '14 days'",
                "date": "o.date_order",
                **audit,
            },
            "sfb_orders o",
            params,
        )
        return rows

    step("sale orders + delivery pickings", orders)

    line_source = """sfb_lines l
        JOIN sfb_orders o ON o.i = l.order_i
        JOIN sfb_products p ON p.i = l.product_i"""

    def lines():
        return insert(
            cr,
            "sale_order_line",
            {
                "id": "l.id",
                "order_id": "o.id",
                "sequence": "10 + l.k",
                "company_id": "%(company)s",
                "currency_id": "%(currency)s",
                "order_partner_id": "o.partner_id",
                "salesman_id": "%(user)s",
                "state": "'sale'",
                "display_type": "NULL",
                "product_id": "p.id",
                "product_uom": "%(unit)s",
                "name": "'[SFB-' || lpad(p.i::text, 5, '0') || '] Bench product ' "
                "|| lpad(p.i::text, 5, '0')",
                "product_uom_qty": "l.qty",
                "qty_delivered": "0",
                "qty_delivered_method": "'stock_move'",
                "qty_invoiced": "0",
                "qty_to_invoice": "0",
                "invoice_status": "'no'",
                "price_unit": "p.price",
                "technical_price_unit": "p.price",
                "discount": "0",
                "price_subtotal": "p.price * l.qty",
                "price_total": "p.price * l.qty",
                "price_tax": "0",
                "price_reduce_taxexcl": "p.price",
                "price_reduce_taxinc": "p.price",
                "untaxed_amount_invoiced": "0",
                "untaxed_amount_to_invoice": "0",
                "product_packaging_qty": "0",
                "is_downpayment": "FALSE",
                "is_expense": "FALSE",
                "customer_lead": "0",
                "warehouse_id": "%(warehouse)s",
                **audit,
            },
            line_source,
            params,
        )

    step("sale order lines (open)", lines)

    def order_totals():
        cr.execute(
            """
            UPDATE sale_order so
               SET amount_untaxed = t.total, amount_total = t.total
              FROM (SELECT l.order_id, SUM(l.price_subtotal) AS total
                      FROM sale_order_line l JOIN sfb_orders o ON o.id = l.order_id
                     GROUP BY l.order_id) t
             WHERE so.id = t.order_id
            """
        )
        return cr.rowcount

    step("sale order totals", order_totals)

    move_common = {
        "company_id": "%(company)s",
        "product_uom": "%(unit)s",
        "priority": "'0'",
        "procure_method": "'make_to_stock'",
        "quantity": "0",
        "picked": "FALSE",
        "scrapped": "FALSE",
        "propagate_cancel": "FALSE",
        "additional": "FALSE",
        "is_done": "FALSE",
        "manual_consumption": "FALSE",
        "warehouse_id": "%(warehouse)s",
        **audit,
    }

    def deliveries():
        return insert(
            cr,
            "stock_move",
            {
                **move_common,
                "id": "l.move_id",
                "sequence": "10",
                "name": "'[SFB-' || lpad(p.i::text, 5, '0') || '] Bench product ' "
                "|| lpad(p.i::text, 5, '0')",
                "product_id": "p.id",
                "product_qty": "l.qty",
                "product_uom_qty": "l.qty",
                "location_id": "%(stock)s",
                "location_dest_id": "%(customers)s",
                "location_final_id": "%(customers)s",
                "partner_id": "o.partner_id",
                "picking_id": "o.picking_id",
                "picking_type_id": "%(type_out)s",
                "state": "'confirmed'",
                "origin": "o.name",
                "reference": "'WH/OUT/SFB/' || lpad(o.i::text, 6, '0')",
                "date": "o.date_order + interval '14 days'",
                "date_deadline": "o.date_order + interval '14 days'",
                "unit_factor": "1",
                "sale_line_id": "l.id",
            },
            line_source,
            params,
        )

    step("delivery moves (one per line, waiting)", deliveries)

    def productions():
        rows = insert(
            cr,
            "mrp_production",
            {
                "id": "mo.id",
                "name": "mo.name",
                "product_id": "p.id",
                "product_uom_id": "%(unit)s",
                "product_qty": "mo.qty",
                "product_uom_qty": "mo.qty",
                "qty_producing": "0",
                "picking_type_id": "%(type_mrp)s",
                "location_src_id": "%(stock)s",
                "location_dest_id": "%(stock)s",
                "production_location_id": "%(production)s",
                "company_id": "%(company)s",
                "user_id": "%(user)s",
                "priority": "'0'",
                "state": "'confirmed'",
                "reservation_state": "'confirmed'",
                "consumption": "'flexible'",
                "propagate_cancel": "FALSE",
                "is_locked": "TRUE",
                "is_planned": "FALSE",
                "allow_workorder_dependencies": "FALSE",
                "is_outdated_bom": "FALSE",
                "subcontracting_has_been_recorded": "FALSE",
                "extra_cost": "0",
                "date_start": "mo.date_start",
                "date_finished": "mo.date_start + interval '1 day'",
                "schedule_priority": "mo.rank",
                **audit,
            },
            "sfb_mos mo JOIN sfb_products p ON p.i = mo.product_i",
            params,
        )
        rows += insert(
            cr,
            "stock_move",
            {
                **move_common,
                "id": "mo.move_id",
                "sequence": "10",
                "name": "mo.name",
                "product_id": "p.id",
                "product_qty": "mo.qty",
                "product_uom_qty": "mo.qty",
                "location_id": "%(production)s",
                "location_dest_id": "%(stock)s",
                "picking_type_id": "%(type_mrp)s",
                "state": "'confirmed'",
                "origin": "mo.name",
                "reference": "mo.name",
                "date": "mo.date_start + interval '1 day'",
                "unit_factor": "1",
                "production_id": "mo.id",
            },
            "sfb_mos mo JOIN sfb_products p ON p.i = mo.product_i",
            params,
        )
        rows += insert(
            cr,
            "stock_move",
            {
                **move_common,
                "id": "c.id",
                "sequence": "c.sequence",
                "name": "c.name",
                "product_id": "p.id",
                "product_qty": "c.qty",
                "product_uom_qty": "c.qty",
                "location_id": "%(stock)s",
                "location_dest_id": "%(production)s",
                "picking_type_id": "%(type_mrp)s",
                "state": "'confirmed'",
                "origin": "c.name",
                "reference": "c.name",
                "date": "c.date_start",
                "unit_factor": "c.qty / c.mo_qty",
                "raw_material_production_id": "c.mo_id",
            },
            "sfb_components c JOIN sfb_products p ON p.i = c.product_i",
            params,
        )
        return rows

    step("MOs + finished moves + component moves", productions)

    def purchases():
        rows = insert(
            cr,
            "purchase_order",
            {
                "id": "po.id",
                "name": "po.name",
                "partner_id": "po.partner_id",
                "currency_id": "%(currency)s",
                "currency_rate": "1",
                "company_id": "%(company)s",
                "user_id": "%(user)s",
                "state": "'purchase'",
                "priority": "'0'",
                "invoice_status": "'no'",
                "receipt_status": "'pending'",
                "date_order": "po.date_order",
                "date_approve": "po.date_order",
                "date_planned": "po.date_planned",
                "picking_type_id": "%(type_in)s",
                "amount_untaxed": "0",
                "amount_tax": "0",
                "amount_total": "0",
                "mail_reminder_confirmed": "FALSE",
                "mail_reception_confirmed": "FALSE",
                "mail_reception_declined": "FALSE",
                **audit,
            },
            "sfb_pos po",
            params,
        )
        rows += insert(
            cr,
            "stock_picking",
            {
                "id": "po.picking_id",
                "name": "po.picking_name",
                "origin": "po.name",
                "partner_id": "po.partner_id",
                "company_id": "%(company)s",
                "picking_type_id": "%(type_in)s",
                "location_id": "%(suppliers)s",
                "location_dest_id": "%(stock)s",
                "move_type": "'direct'",
                "state": "'confirmed'",
                "priority": "'0'",
                "is_locked": "TRUE",
                "printed": "FALSE",
                "has_deadline_issue": "FALSE",
                "scheduled_date": "po.date_planned",
                "date": "po.date_order",
                **audit,
            },
            "sfb_pos po",
            params,
        )
        source = """sfb_po_lines l
            JOIN sfb_pos po ON po.i = l.po_i
            JOIN sfb_products p ON p.i = l.product_i"""
        rows += insert(
            cr,
            "purchase_order_line",
            {
                "id": "l.id",
                "order_id": "po.id",
                "sequence": "10",
                "name": "'[SFB-' || lpad(p.i::text, 5, '0') || '] Bench product ' "
                "|| lpad(p.i::text, 5, '0')",
                "product_id": "p.id",
                "product_uom": "%(unit)s",
                "product_qty": "l.qty",
                "product_uom_qty": "l.qty",
                "price_unit": "p.price / 2",
                "price_subtotal": "p.price / 2 * l.qty",
                "price_total": "p.price / 2 * l.qty",
                "price_tax": "0",
                "discount": "0",
                "company_id": "%(company)s",
                "partner_id": "po.partner_id",
                "currency_id": "%(currency)s",
                "state": "'purchase'",
                "qty_received_method": "'stock_moves'",
                "qty_received": "0",
                "qty_received_manual": "0",
                "qty_invoiced": "0",
                "qty_to_invoice": "0",
                "product_packaging_qty": "0",
                "is_downpayment": "FALSE",
                "propagate_cancel": "FALSE",
                "date_planned": "po.date_planned",
                **audit,
            },
            source,
            params,
        )
        rows += insert(
            cr,
            "stock_move",
            {
                **move_common,
                "id": "l.move_id",
                "sequence": "10",
                "name": "'[SFB-' || lpad(p.i::text, 5, '0') || '] Bench product ' "
                "|| lpad(p.i::text, 5, '0')",
                "product_id": "p.id",
                "product_qty": "l.qty",
                "product_uom_qty": "l.qty",
                "location_id": "%(suppliers)s",
                "location_dest_id": "%(stock)s",
                "partner_id": "po.partner_id",
                "picking_id": "po.picking_id",
                "picking_type_id": "%(type_in)s",
                "state": "'confirmed'",
                "origin": "po.name",
                "reference": "po.picking_name",
                "date": "po.date_planned",
                "price_unit": "p.price / 2",
                "unit_factor": "1",
                "purchase_line_id": "l.id",
            },
            source,
            params,
        )
        cr.execute(
            """
            UPDATE purchase_order po
               SET amount_untaxed = t.total, amount_total = t.total
              FROM (SELECT l.order_id, SUM(l.price_subtotal) AS total
                      FROM purchase_order_line l JOIN sfb_pos p ON p.id = l.order_id
                     GROUP BY l.order_id) t
             WHERE po.id = t.order_id
            """
        )
        return rows

    step("POs + receipts + PO lines + receipt moves", purchases)

    def analyze():
        cr.execute(
            "ANALYZE product_template, product_product, stock_quant, sale_order, "
            "sale_order_line, stock_picking, stock_move, mrp_production, purchase_order, "
            "purchase_order_line"
        )
        return 0

    step("ANALYZE", analyze)

    marker = {name: getattr(args, name) for name in BUILD_PARAMS}
    marker["built_at"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    env["ir.config_parameter"].set_param(MARKER_KEY, json.dumps(marker, sort_keys=True))
    env.flush_all()
    env.invalidate_all()
    return steps


DATASET_TABLES = (
    "product_template",
    "product_product",
    "stock_quant",
    "sale_order",
    "sale_order_line",
    "stock_picking",
    "stock_move",
    "mrp_production",
    "purchase_order",
    "purchase_order_line",
)


def vacuum(dbname, tables=DATASET_TABLES):
    """VACUUM ANALYZE, autovacuum's job after an import or a big rollback.

    VACUUM cannot run in a transaction: this uses its own autocommit connection.
    """
    _name, info = odoo.sql_db.connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            for name in tables:
                cursor.execute(f"VACUUM ANALYZE {name}")
    finally:
        connection.close()


def ensure_dataset(registry, args):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if "sale.fulfilment.booking" not in env:
            raise SystemExit(f"bench: sale_fulfilment is not installed in {args.database}")
        marker = env["ir.config_parameter"].get_param(MARKER_KEY)
        wanted = {name: getattr(args, name) for name in BUILD_PARAMS}
        if marker:
            built = json.loads(marker)
            if {name: built.get(name) for name in BUILD_PARAMS} != wanted:
                out(f"The database holds another data set: {marker}")
                out("Build this one in a fresh database: bench/run.sh --rebuild ...")
                sys.exit(EXIT_OTHER_DATASET)
            out(f"Data set: reused (built {built['built_at']}, marker {MARKER_KEY}).")
            # An upgrade of the addon (its migration) or a cron may have booked
            # since: back to the just-imported state, where nothing is booked.
            cr.execute(f"SELECT EXISTS (SELECT 1 FROM {BOOKED_TABLES[0]})")
            if cr.fetchone()[0]:
                cr.execute(f"TRUNCATE {', '.join(BOOKED_TABLES)}")
                cr.commit()
                out("Booking results found in it were emptied: nothing is booked at start.")
            return
        out(
            "Data set: building it now in bulk SQL (INSERT ... SELECT), as an import would "
            "write it, bypassing the ORM; committed once."
        )
        start = time.perf_counter()
        steps = build_dataset(env, args)
        cr.commit()
    vstart = time.perf_counter()
    vacuum(args.database)
    steps.append(("VACUUM ANALYZE (after commit)", 0, time.perf_counter() - vstart))
    out()
    table(
        ["build step", "rows", "seconds"],
        [(label, f"{rows:,}", f"{seconds:.1f}") for label, rows, seconds in steps],
    )
    out(f"Data set built in {time.perf_counter() - start:.1f} s.")


# Where the booking keeps what it computed: empty right after an import.
BOOKED_TABLES = (
    "sale_fulfilment_line_availability",
    "sale_fulfilment_order_availability",
    "sale_fulfilment_move_availability",
    "sale_fulfilment_production_availability",
    "sale_fulfilment_stock",
)


# ----------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------
# What the measurements write, vacuumed between blocks: each block starts
# from the same just-imported state, without the dead rows of the last one.
WRITTEN_TABLES = (*BOOKED_TABLES, "sale_order")


@contextmanager
def transaction(registry, dbname):
    """A cursor whose work is rolled back, then a VACUUM of what it wrote."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        try:
            yield cr, env
        finally:
            cr.rollback()
    vacuum(dbname, WRITTEN_TABLES)


def load():
    """Load average and CPU pressure: other work on the machine skews timings."""
    text = "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        with open("/proc/pressure/cpu", encoding="utf-8") as pressure:
            some = pressure.readline().split()
        text += ", CPU pressure (tasks waiting) " + " ".join(some[1:4])
    except (OSError, IndexError):
        pass
    return text


def machine(cr):
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for row in cpuinfo:
                if row.startswith("model name"):
                    model = row.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = "unknown"
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            memory = f"{int(meminfo.readline().split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    settings = ", ".join(
        f"{name}={scalar(cr, f'SHOW {name}')}"
        for name in ("jit", "work_mem", "shared_buffers", "max_parallel_workers_per_gather")
    )
    return [
        ("date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("nproc", f"{usable} (of {os.cpu_count()} online)"),
        ("CPU", model),
        ("memory", memory),
        ("load at start", load()),
        ("Python", platform.python_version()),
        ("PostgreSQL", scalar(cr, "SHOW server_version")),
        ("PostgreSQL settings", settings),
        ("Odoo", odoo.release.version),
    ]


OPEN_LINES = """
      FROM sale_order_line sol
      JOIN sale_order so ON so.id = sol.order_id
      JOIN product_product pp ON pp.id = sol.product_id
      JOIN product_template pt ON pt.id = pp.product_tmpl_id
     WHERE so.state = 'sale' AND sol.display_type IS NULL AND pt.is_storable
       AND sol.qty_delivered < sol.product_uom_qty
"""


def dataset_figures(cr):
    cr.execute(
        f"""
        SELECT
          (SELECT count(*) FROM product_product pp JOIN product_template pt
               ON pt.id = pp.product_tmpl_id WHERE pt.is_storable AND pp.active),
          (SELECT count(*) FROM sale_order WHERE state = 'sale'),
          (SELECT count(*) {OPEN_LINES}),
          (SELECT count(*) FROM stock_quant q JOIN stock_location l ON l.id = q.location_id
            WHERE l.usage = 'internal'),
          (SELECT count(*) FROM mrp_production WHERE state IN ('confirmed', 'progress')),
          (SELECT count(*) FROM stock_move m JOIN purchase_order_line l
               ON l.id = m.purchase_line_id WHERE m.state NOT IN ('draft', 'done', 'cancel')),
          (SELECT count(*) FROM stock_move WHERE raw_material_production_id IS NOT NULL
              AND state NOT IN ('draft', 'done', 'cancel')),
          (SELECT count(*) FROM stock_move)
        """
    )
    return cr.fetchone()


def query_breakdown(result, top=None):
    log = list(enumerate(result.log, 1))
    if not log:
        out("(no query)")
        return
    if top:
        log = sorted(log, key=lambda item: -item[1][0])[:top]
    table(
        ["#", "ms", "query"],
        [(index, f"{delay * 1000:.1f}", short_sql(query, 78)) for index, (delay, query, _p) in log],
        [">", ">", "<"],
    )
    out(
        f"SQL (driver included) {result.sql_time:.2f} s of {result.time:.2f} s; "
        f"the rest, Python: {result.time - result.sql_time:.2f} s."
    )


@contextmanager
def step_timer(env, result):
    """Time each _fetch_*/_write_* method of the addon's booking and stock models.

    The methods are found, not listed, so renamed or new steps still show up.
    Nested calls (e.g. _write_orders inside _write_sale_lines) are indented.
    """
    steps = []
    depth = [0]
    patched = []

    def wrap(original, label):
        def wrapper(self, *args, **kwargs):
            entry = [depth[0], label, 0.0, 0, 0.0]
            steps.append(entry)
            depth[0] += 1
            count, logged, start = self.env.cr.sql_log_count, len(result.log), time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                entry[2] = time.perf_counter() - start
                entry[3] = self.env.cr.sql_log_count - count
                entry[4] = sum(delay for delay, _q, _p in result.log[logged:])
                depth[0] -= 1

        return wrapper

    for model_name in ("sale.fulfilment.booking", "sale.fulfilment.stock"):
        if model_name not in env:
            continue
        cls = type(env[model_name])
        names = {
            name
            for klass in cls.__mro__
            if klass.__module__.startswith("odoo.addons.sale_fulfilment")
            for name in vars(klass)
            if name.startswith(("_fetch_", "_write_", "_replace_"))
        }
        for name in sorted(names):
            original = getattr(cls, name)
            if callable(original):
                patched.append((cls, name, original, name in vars(cls)))
                setattr(cls, name, wrap(original, name))
    try:
        yield steps
    finally:
        for cls, name, original, own in reversed(patched):
            if own:
                setattr(cls, name, original)
            else:
                delattr(cls, name)


def print_steps(result, steps):
    top = [entry for entry in steps if entry[0] == 0]
    rest = result.time - sum(entry[2] for entry in top)
    rest_queries = result.queries - sum(entry[3] for entry in top)
    rows = [
        ("  " * depth + name, f"{seconds:.2f}", queries, f"{sql:.2f}", f"{seconds - sql:.2f}")
        for depth, name, seconds, queries, sql in steps
    ]
    rows.append(("rest: lock, booking walk (booking.Pool), glue", f"{rest:.2f}", rest_queries))
    rows.append(("total", f"{result.time:.2f}", result.queries, f"{result.sql_time:.2f}"))
    table(["step (method)", "seconds", "queries", "SQL s", "Python s"], rows)


def explain(cr, result, top):
    """Replay ``result``'s queries in order, EXPLAIN ANALYZE-ing the ``top`` slowest.

    Run from the state the measured run started from, in a savepoint rolled
    back afterwards, so each statement meets the data it met when measured
    (the INSERT of the figures after its DELETE, and so on). The client side
    is shown too: the size of the statement once psycopg2 inlines the
    parameters, and the time that takes.
    """
    slowest = sorted(range(len(result.log)), key=lambda i: -result.log[i][0])[:top]
    savepoint = cr.savepoint(flush=False)
    try:
        for index, (delay, query, params) in enumerate(result.log):
            if index not in slowest:
                cr.execute(query, params)
                continue
            start = time.perf_counter()
            text = cr.mogrify(query, params)
            mogrify = time.perf_counter() - start
            out()
            out(
                f"EXPLAIN ANALYZE of query #{index + 1} ({delay * 1000:.0f} ms when measured; "
                f"{len(text) / 1e6:.2f} MB of SQL once psycopg2 inlines the parameters, "
                f"{mogrify * 1000:.0f} ms to build it): {short_sql(query, 60)}"
            )
            cr.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}", params)
            for (row,) in cr.fetchall():
                out("    " + (row if len(row) <= 160 else row[:157] + "..."))
    finally:
        savepoint.close(rollback=True)


def rebook(env, product_ids=None):
    """The full rebuild as the scheduled action runs it (under its lock, every
    booking clock bumped), or the booking of some products."""
    if product_ids is None:
        if not env["sale.fulfilment.rebook"]._rebuild():
            raise RuntimeError("the rebuild gave way: another booking committed meanwhile")
    else:
        # Thousands of products and orders: under the rebuild lock, as the
        # addon books any set too large to lock record by record.
        env["sale.fulfilment.rebook"]._book_exclusively(product_ids)
    env.flush_all()


def per_line_ms(result, lines):
    return result.time / lines * 1000 if lines else 0.0


def scaling_sets(cr, targets):
    """Product prefixes (by id) whose open lines reach each target count."""
    cr.execute(f"SELECT sol.product_id, count(*) {OPEN_LINES} GROUP BY 1 ORDER BY 1")
    counts = cr.fetchall()
    sets = []
    for target in targets:
        products, lines = [], 0
        for product_id, count in counts:
            if lines >= target:
                break
            products.append(product_id)
            lines += count
        sets.append((target, products, lines))
    return sets


COLD = "1st run (writes every status)"
WARM = "2nd run (nothing changed)"


def median(results):
    return sorted(results, key=lambda r: r.time)[len(results) // 2]


def rebuild_once(registry, args, jit_off=False, profiler=None):
    """A full rebuild from the just-imported state, then a second one."""
    with transaction(registry, args.database) as (cr, env):
        if jit_off:
            cr.execute("SET LOCAL jit = off")
        runs = []
        for label in (COLD, WARM):
            env.invalidate_all()
            with measure(cr, label) as result, step_timer(env, result) as steps:
                if profiler:
                    profiler.enable()
                rebook(env)
                if profiler:
                    profiler.disable()
            result.steps = steps
            runs.append(result)
        cr.execute(
            """
            SELECT status, count(*) FROM sale_fulfilment_line_availability
             GROUP BY 1 ORDER BY 2 DESC
            """
        )
        statuses = cr.fetchall()
    return runs, statuses


def measure_full_rebuild(registry, args, open_lines):
    """Full rebuilds, repeated; with the server's settings, then with jit off."""
    profiler = cProfile.Profile() if args.profile else None
    series = {(COLD, False): [], (WARM, False): [], (COLD, True): [], (WARM, True): []}
    statuses = []
    for _repeat in range(args.repeat):
        for jit_off in (False, True):
            runs, statuses = rebuild_once(registry, args, jit_off)
            for result in runs:
                series[(result.label, jit_off)].append(result)
    if profiler:
        rebuild_once(registry, args, profiler=profiler)  # not counted: the profiler is slow

    out()
    out(
        "Full rebuild: env['sale.fulfilment.rebook']._rebuild(), "
        f"{open_lines:,} open lines, {args.repeat} repeat(s), the median judged against the "
        "targets (the min too: the least disturbed repeat); jit off: the same with "
        "SET LOCAL jit = off (diagnostic)"
    )
    rows = []
    for (label, jit_off), results in series.items():
        middle = median(results)
        rows.append(
            (
                f"{label}{', jit off' if jit_off else ''}",
                *(f"{r.time:.2f}" for r in results),
                f"{middle.time:.2f}",
                f"{min(r.time for r in results):.2f}",
                "/".join(sorted({str(r.queries) for r in results})),
                f"{per_line_ms(middle, open_lines):.4f}",
                verdict(middle.time <= TARGET_TIME),
                verdict(min(r.time for r in results) <= TARGET_TIME),
                verdict(max(r.queries for r in results) <= TARGET_QUERIES),
            )
        )
    table(
        [
            "run",
            *(f"#{i + 1} s" for i in range(args.repeat)),
            "median s",
            "min s",
            "queries",
            "ms/line",
            f"median <= {TARGET_TIME:g} s",
            f"min <= {TARGET_TIME:g} s",
            f"<= {TARGET_QUERIES} queries",
        ],
        rows,
    )
    out("Line statuses after it: " + ", ".join(f"{s} {n:,}" for s, n in statuses))
    for jit_off in (False, True):
        for label in (COLD, WARM):
            result = median(series[(label, jit_off)])
            title = f"the median {label}{', jit off' if jit_off else ''}"
            out()
            out(f"Steps of {title}")
            print_steps(result, result.steps)
            if not jit_off:
                out()
                out(f"Queries of {title}, in order")
                query_breakdown(result)
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(20)
        out()
        out("cProfile of both runs of an extra, uncounted repeat (own time, top 20)")
        out(stream.getvalue().rstrip())
    if args.explain:
        # From the just-imported state again, where the 1st run's queries ran.
        with transaction(registry, args.database) as (cr, _env):
            explain(cr, median(series[(COLD, False)]), top=args.explain)
    return median(series[(COLD, False)]), median(series[(WARM, False)])


def measure_drag(registry, args):
    # Importable once Odoo has its addons path (set up by main()).
    from odoo.addons.sale_fulfilment.models.sale_fulfilment_rebook import DIRTY_KEY  # noqa: PLC0415

    with transaction(registry, args.database) as (cr, env):
        rebook(env)  # booked state, as it is between two transactions
        cr.execute(
            "SELECT id FROM sale_order WHERE state = 'sale' "
            "ORDER BY fulfilment_priority, date_order, id"
        )
        ranked = [row[0] for row in cr.fetchall()]
        middle = len(ranked) // 2
        jumped = ranked[max(0, middle - (PAGE - 1)) : middle]
        # The first order below the page that shares a product with it: a drop
        # re-books only the products whose lines change order, and an order
        # sharing none with the page would re-book nothing.
        cr.execute(
            """
            SELECT so.id FROM sale_order so
              JOIN sale_order_line sol ON sol.order_id = so.id
             WHERE so.id = ANY(%s)
               AND sol.product_id IN (SELECT product_id FROM sale_order_line
                                       WHERE order_id = ANY(%s))
            """,
            [ranked[middle:], jumped],
        )
        sharing = {row[0] for row in cr.fetchall()}
        middle = next((i for i in range(middle, len(ranked)) if ranked[i] in sharing), middle)
        dragged = env["sale.order"].browse(ranked[middle])
        orders = dragged | env["sale.order"].browse(jumped)
        cr.execute(
            """
            SELECT count(DISTINCT product_id), count(*) FROM sale_order_line
             WHERE product_id IN (SELECT product_id FROM sale_order_line
                                   WHERE order_id = ANY(%s))
            """,
            [orders.ids],
        )
        products, lines = cr.fetchone()
        name = dragged.name
        env.invalidate_all()
        with measure(cr, "_set_ranks() (the drop)") as drop:
            moved = orders._set_ranks()
        # What the drop marked: the products whose lines changed order.
        rebooked = len(cr.precommit.data.get(DIRTY_KEY, ()))
        with measure(cr, "precommit: re-booking of the touched products") as precommit:
            cr.precommit.run()
    out()
    out(
        f"Drag: order {name} (rank {middle + 1:,} of {len(ranked):,}, the first below the "
        f"page that shares a product with it) dropped above the {len(jumped)} orders of "
        f"a page of {PAGE}: "
        f"(order | orders_above)._set_ranks() then cr.precommit.run(); {len(moved)} orders "
        f"change rank; their products: {products:,}, holding {lines:,} sale lines; "
        f"re-booked (their lines changed order): {rebooked:,}."
    )
    table(
        ["step", "seconds", "queries"],
        [
            (drop.label, f"{drop.time:.3f}", drop.queries),
            (precommit.label, f"{precommit.time:.3f}", precommit.queries),
            ("total", f"{drop.time + precommit.time:.3f}", drop.queries + precommit.queries),
        ],
    )
    out()
    out("Queries of the precommit, slowest 6")
    query_breakdown(precommit, top=6)


# Links of a move to documents: the history's clones point to none (an open
# sales line with 100,000 done deliveries would be read in full, rightly).
HISTORY_UNLINKED = (
    "sale_line_id",
    "purchase_line_id",
    "raw_material_production_id",
    "production_id",
    "picking_id",
    "created_production_id",
    "orderpoint_id",
    "origin_returned_move_id",
)


def measure_history(registry, args):
    """One product's booking (what a save re-books) as its history grows: done
    moves and move lines of that product added by SQL, with the addon's
    indexes of open moves and lines, then without them (dropped in the same
    rolled-back transaction)."""
    # Importable once Odoo has its addons path (set up by main()).
    from odoo.addons.sale_fulfilment.models.stock_move import OPEN_MOVES_INDEX  # noqa: PLC0415
    from odoo.addons.sale_fulfilment.models.stock_move_line import (  # noqa: PLC0415
        OPEN_LINES_INDEX,
    )

    size = args.history
    results = []
    with transaction(registry, args.database) as (cr, env):
        rebook(env)
        cr.execute(
            """
            SELECT sol.product_id FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
             WHERE so.state = 'sale' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1
            """
        )
        pid = cr.fetchone()[0]
        name = env["product.product"].browse(pid).display_name

        def book(label):
            times = []
            for _repeat in range(3):
                env.invalidate_all()
                with measure(cr, label) as result:
                    rebook(env, [pid])
                times.append(result)
            best = sorted(times, key=lambda r: r.time)[1]
            results.append(best)

        book("no history")
        move_tpl = scalar(
            cr, "SELECT id FROM stock_move WHERE product_id = %(p)s LIMIT 1", {"p": pid}
        )
        line_tpl = scalar(cr, "SELECT min(id) FROM stock_move_line")
        last_move = scalar(cr, "SELECT max(id) FROM stock_move")
        clone(
            cr,
            "stock_move",
            move_tpl,
            {
                "id": "nextval('stock_move_id_seq')",
                "state": "'done'",
                # Done moves of the past: of orders, MOs and pickings long closed.
                **dict.fromkeys(HISTORY_UNLINKED, "NULL"),
            },
            "generate_series(1, %(n)s) g",
            {"n": size},
        )
        clone(
            cr,
            "stock_move_line",
            line_tpl,
            {
                "id": "nextval('stock_move_line_id_seq')",
                "move_id": "s.id",
                "product_id": "s.product_id",
                "state": "'done'",
                "picking_id": "NULL",
                "lot_id": "NULL",
                "package_id": "NULL",
                "result_package_id": "NULL",
            },
            "(SELECT id, product_id FROM stock_move WHERE id > %(last)s) s",
            {"last": last_move},
        )
        cr.execute("ANALYZE stock_move, stock_move_line")
        book(f"{size:,} done moves and lines, with the addon's indexes")
        for index in (OPEN_MOVES_INDEX, OPEN_LINES_INDEX):
            cr.execute(f"DROP INDEX {index}")
        cr.execute("ANALYZE stock_move, stock_move_line")
        book(f"{size:,} done moves and lines, without them")
    out()
    out(
        f"History: the booking of one product ({name}, the one with the most "
        f"lines), env['sale.fulfilment.rebook']._book_exclusively([product]), the middle of 3 "
        f"repeats, as done moves and move lines of it are added (by SQL, rolled back)"
    )
    table(
        ["", "seconds", "queries"],
        [(r.label, f"{r.time:.4f}", r.queries) for r in results],
    )


def measure_odoo(registry, args, size):
    with transaction(registry, args.database) as (cr, env):
        cr.execute(f"SELECT sol.id {OPEN_LINES} ORDER BY sol.id")
        line_ids = [row[0] for row in cr.fetchall()]
        sample = sorted(random.Random(args.seed).sample(line_ids, min(size, len(line_ids))))
        cr.execute(
            "SELECT count(DISTINCT product_id) FROM sale_order_line WHERE id = ANY(%s)", [sample]
        )
        products = cr.fetchone()[0]
        lines = env["sale.order.line"].browse(sample)
        env.invalidate_all()
        with measure(cr, f"Odoo _compute_qty_at_date, {len(sample):,} lines") as result:
            lines._compute_qty_at_date()
        result.lines = len(sample)
        result.products = products
        result.widget = sum(1 for line in lines if line.display_qty_widget)
        result.dated = sum(1 for line in lines if line.forecast_expected_date)
    return result


def compare_with_odoo(registry, args, open_lines, first, second):
    sizes = [int(size) for size in args.sample.split(",") if size.strip()]
    if not sizes:
        return
    results = [measure_odoo(registry, args, size) for size in sizes]
    ours, ours_warm = per_line_ms(first, open_lines), per_line_ms(second, open_lines)
    out()
    out(
        "Odoo's own per-line availability: sale.order.line._compute_qty_at_date() on a random "
        f"sample (seed {args.seed}) of the same open lines, cache invalidated, measured in "
        "the same run"
    )
    rows = []
    for result in results:
        theirs = per_line_ms(result, result.lines)
        rows.append(
            (
                result.label,
                f"{result.lines:,}",
                f"{result.products:,}",
                f"{result.time:.2f}",
                f"{result.queries:,}",
                f"{theirs:.3f}",
                f"{result.queries / max(result.lines, 1):.2f}",
                f"{theirs / ours:,.1f}x {verdict(theirs / ours >= TARGET_RATIO)}",
                f"{theirs / ours_warm:,.1f}x {verdict(theirs / ours_warm >= TARGET_RATIO)}",
            )
        )
    for r in (first, second):
        rows.append(
            (
                f"sale_fulfilment full rebuild, median {r.label.split(' (')[0]}",
                f"{open_lines:,}",
                "",
                f"{r.time:.2f}",
                r.queries,
                f"{per_line_ms(r, open_lines):.4f}",
                f"{r.queries / max(open_lines, 1):.5f}",
            )
        )
    table(
        [
            "",
            "lines",
            "products",
            "seconds",
            "queries",
            "ms/line",
            "queries/line",
            "ratio vs 1st",
            "ratio vs 2nd",
        ],
        rows,
    )
    out(
        f"Ratio = Odoo ms/line / our ms/line (full rebuild); target >= {TARGET_RATIO:g}x. "
        + "; ".join(
            f"{r.lines:,} lines: {r.widget:,} show the forecast widget, {r.dated:,} get a "
            "forecast date"
            for r in results
        )
        + "."
    )


def measure_scaling(registry, args):
    targets = [int(t) for t in args.scaling.split(",") if t.strip()]
    if not targets:
        return
    with registry.cursor() as cr:
        sets = scaling_sets(cr, targets)
    rows = []
    for target, product_ids, lines in sets:
        with transaction(registry, args.database) as (cr, env):
            runs = []
            for label in ("1st", "2nd"):
                env.invalidate_all()
                with measure(cr, label) as result:
                    rebook(env, product_ids)
                runs.append(result)
        rows.append(
            (
                f"{target:,}",
                f"{len(product_ids):,}",
                f"{lines:,}",
                *(
                    cell
                    for r in runs
                    for cell in (
                        f"{r.time:.2f}",
                        r.queries,
                        f"{per_line_ms(r, lines) * 1000:.1f}",
                    )
                ),
            )
        )
    out()
    out(
        "Scaling: _rebook(product_ids) for the first products (by id) holding about N open "
        "lines; the 1st run writes every status (just imported), the 2nd finds nothing changed"
    )
    table(
        ["N", "products", "lines", "1st s", "queries", "us/line", "2nd s", "queries", "us/line"],
        rows,
        [">"] * 9,
    )


def run_measurements(registry, args):
    vacuum(args.database, WRITTEN_TABLES)
    with registry.cursor() as cr:
        out()
        out("Machine")
        table(["", ""], machine(cr), ["<", "<"])
        products, orders, open_lines, quants, mos, po_moves, components, moves = dataset_figures(cr)
    out()
    out("Data set (whole database: the bench data plus Odoo's and the addon's demo data)")
    table(
        ["", "count"],
        [
            ("storable products", f"{products:,}"),
            ("confirmed sale orders", f"{orders:,}"),
            ("open sale order lines (each with its delivery move)", f"{open_lines:,}"),
            ("stock quants in internal locations", f"{quants:,}"),
            ("open MOs (their finished moves are expected supply)", f"{mos:,}"),
            ("open PO receipt moves (expected supply)", f"{po_moves:,}"),
            ("open MO component moves", f"{components:,}"),
            ("stock_move rows in all", f"{moves:,}"),
        ],
    )
    out()
    out(
        "Every block below starts from the just-imported state (statuses never computed), "
        "is rolled back, and is followed by a VACUUM ANALYZE of the tables it wrote."
    )

    first, second = measure_full_rebuild(registry, args, open_lines)
    measure_drag(registry, args)

    compare_with_odoo(registry, args, open_lines, first, second)
    measure_scaling(registry, args)
    if args.history:
        measure_history(registry, args)
    out()
    out(f"Load at the end: {load()}")
    out("Everything the measurements wrote was rolled back.")


def main(argv=None):
    args = parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"], setup_logging=True
    )
    registry = odoo.modules.registry.Registry(args.database)
    out(f"sale_fulfilment availability benchmark, database {args.database}")
    ensure_dataset(registry, args)
    run_measurements(registry, args)


if __name__ == "__main__":
    main()
