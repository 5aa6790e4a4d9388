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
import re
import sys
import threading
import time
from contextlib import contextmanager

import odoo

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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
        "--sample", type=int, default=500, help="lines for Odoo's _compute_qty_at_date"
    )
    run.add_argument(
        "--scaling",
        default="10000,25000,50000,100000",
        help="line counts of the scaling table (comma-separated, empty to skip)",
    )
    run.add_argument(
        "--profile", action="store_true", help="cProfile the full rebuild (Python side)"
    )
    run.add_argument(
        "--explain",
        action="store_true",
        help="EXPLAIN ANALYZE the slowest queries of the full rebuild",
    )
    args = parser.parse_args(argv)
    if not args.database.startswith("sf_bench"):
        parser.error("the benchmark only uses databases whose name starts with sf_bench")
    return args


# ----------------------------------------------------------------------
# Printing
# ----------------------------------------------------------------------
def out(text=""):
    print(text, flush=True)


def table(headers, rows, align=None):
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    align = align or ["<"] + [">"] * (len(headers) - 1)

    def fmt(cells):
        return "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths)).rstrip()

    out(fmt(headers))
    out("  ".join("-" * w for w in widths))
    for row in rows:
        out(fmt(row))


def verdict(ok):
    return "ok" if ok else "MISSED"


def short_sql(query, width=78):
    text = re.sub(r"\s+", " ", query if isinstance(query, str) else query.decode()).strip()
    return text if len(text) <= width else text[: width - 3] + "..."


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


def vacuum(dbname):
    """VACUUM ANALYZE, as autovacuum would do after an import (needs autocommit)."""
    import psycopg2  # noqa: PLC0415 - only needed here

    _name, info = odoo.sql_db.connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            for name in (
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
            ):
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


# ----------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------
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
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return [
        ("date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("nproc", f"{usable} (of {os.cpu_count()} online)"),
        ("CPU", model),
        ("load average", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("Python", platform.python_version()),
        ("PostgreSQL", scalar(cr, "SHOW server_version")),
        ("Odoo", odoo.release.version),
    ]


def dataset_figures(cr):
    cr.execute(
        """
        SELECT
          (SELECT count(*) FROM product_product pp JOIN product_template pt
               ON pt.id = pp.product_tmpl_id WHERE pt.is_storable AND pp.active),
          (SELECT count(*) FROM sale_order WHERE state = 'sale'),
          (SELECT count(*) FROM sale_order_line sol
             JOIN sale_order so ON so.id = sol.order_id
             JOIN product_product pp ON pp.id = sol.product_id
             JOIN product_template pt ON pt.id = pp.product_tmpl_id
            WHERE so.state = 'sale' AND sol.display_type IS NULL AND pt.is_storable
              AND sol.qty_delivered < sol.product_uom_qty),
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
    rows = []
    log = list(enumerate(result.log, 1))
    if top:
        log = sorted(log, key=lambda item: -item[1][0])[:top]
    for index, (delay, query, _params) in log:
        rows.append((index, f"{delay * 1000:.1f}", short_sql(query)))
    table(["#", "ms", "query"], rows, [">", ">", "<"])
    out(
        f"SQL {result.sql_time:.2f} s of {result.time:.2f} s; "
        f"Python and the driver {result.time - result.sql_time:.2f} s."
    )


def explain(cr, result, top=3):
    """EXPLAIN ANALYZE the slowest read queries of ``result`` (in a savepoint)."""
    reads = [
        item
        for item in result.log
        if short_sql(item[1]).upper().startswith(("SELECT", "WITH"))
        and "pg_advisory" not in item[1]
    ]
    for delay, query, params in sorted(reads, key=lambda item: -item[0])[:top]:
        out()
        out(f"EXPLAIN ANALYZE of a {delay * 1000:.0f} ms query: {short_sql(query, 60)}")
        cr.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}", params)
        for (row,) in cr.fetchall():
            out("    " + row)


def rebook(env, product_ids=None):
    env["sale.fulfilment.booking"]._rebook(product_ids)
    env.flush_all()


def per_line_ms(result, lines):
    return result.time / lines * 1000 if lines else 0.0


def scaling_sets(cr, targets):
    """Product prefixes (by id) whose open lines reach each target count."""
    cr.execute(
        """
        SELECT sol.product_id, count(*)
          FROM sale_order_line sol
          JOIN sale_order so ON so.id = sol.order_id
          JOIN product_product pp ON pp.id = sol.product_id
          JOIN product_template pt ON pt.id = pp.product_tmpl_id
         WHERE so.state = 'sale' AND sol.display_type IS NULL AND pt.is_storable
           AND sol.qty_delivered < sol.product_uom_qty
         GROUP BY sol.product_id
         ORDER BY sol.product_id
        """
    )
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


def run_measurements(registry, args):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
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
                ("open MOs (finished moves = expected supply)", f"{mos:,}"),
                ("open PO receipt moves (expected supply)", f"{po_moves:,}"),
                ("open MO component moves", f"{components:,}"),
                ("stock_move rows in all", f"{moves:,}"),
            ],
        )

        # Everything below is rolled back at the end: the next run measures the
        # same "just imported" state.
        imported = cr.savepoint(flush=True)

        # -- Full rebuild, twice ------------------------------------------
        profiler = cProfile.Profile() if args.profile else None
        env.invalidate_all()
        with measure(cr, "full rebuild, 1st run (writes every status)") as first:
            if profiler:
                profiler.enable()
            rebook(env)
            if profiler:
                profiler.disable()
        env.invalidate_all()
        with measure(cr, "full rebuild, 2nd run (nothing changed)") as second:
            rebook(env)
        cr.execute(
            """
            SELECT availability_status, count(*) FROM sale_order_line
             WHERE availability_status IS NOT NULL GROUP BY 1 ORDER BY 2 DESC
            """
        )
        statuses = cr.fetchall()

        out()
        out(
            f"Full rebuild: env['sale.fulfilment.booking']._rebook(None), {open_lines:,} open lines"
        )
        table(
            ["run", "seconds", "queries", "ms/line", f"<= {TARGET_TIME:g} s", "<= 30 queries"],
            [
                (
                    r.label,
                    f"{r.time:.2f}",
                    r.queries,
                    f"{per_line_ms(r, open_lines):.4f}",
                    verdict(r.time <= TARGET_TIME),
                    verdict(r.queries <= TARGET_QUERIES),
                )
                for r in (first, second)
            ],
        )
        out("Line statuses after it: " + ", ".join(f"{s} {n:,}" for s, n in statuses))
        out()
        out("Queries of the 1st run, in order")
        query_breakdown(first)
        out()
        out("Queries of the 2nd run, in order")
        query_breakdown(second)
        if profiler:
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
            out()
            out("cProfile of the 1st run (cumulative, top 25)")
            out(stream.getvalue())
        if args.explain:
            with cr.savepoint(flush=False) as explain_savepoint:
                explain(cr, first)
                explain_savepoint.rollback()

        # -- Drag one order to the top of its page ------------------------
        cr.execute(
            """
            SELECT id FROM sale_order WHERE state = 'sale'
             ORDER BY fulfilment_priority, date_order, id
            """
        )
        ranked = [row[0] for row in cr.fetchall()]
        middle = len(ranked) // 2
        jumped = ranked[max(0, middle - (PAGE - 1)) : middle]
        dragged = env["sale.order"].browse(ranked[middle])
        moved_set = dragged | env["sale.order"].browse(jumped)
        cr.execute(
            """
            SELECT count(DISTINCT product_id), count(*) FROM sale_order_line
             WHERE product_id IN (SELECT product_id FROM sale_order_line
                                   WHERE order_id = ANY(%s))
            """,
            [moved_set.ids],
        )
        drag_products, drag_lines = cr.fetchone()
        drag_savepoint = cr.savepoint(flush=True)
        env.invalidate_all()
        with measure(cr, "_set_ranks() (the drop)") as drop:
            moved = moved_set._set_ranks()
        with measure(cr, "precommit: _rebook_dirty() of the touched products") as precommit:
            cr.precommit.run()
        drag_savepoint.close(rollback=True)
        env.invalidate_all()
        out()
        out(
            f"Drag: order {dragged.name} (rank {middle + 1} of {len(ranked):,}) dropped above "
            f"the {len(jumped)} orders ranked just before it (one page of {PAGE}); "
            f"{len(moved)} orders change rank; their products: {drag_products:,}, "
            f"holding {drag_lines:,} sale lines."
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
        out("Queries of the precommit, slowest 8")
        query_breakdown(precommit, top=8)

        # -- Odoo's own availability per line -----------------------------
        cr.execute(
            """
            SELECT sol.id FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN product_product pp ON pp.id = sol.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE so.state = 'sale' AND sol.display_type IS NULL AND pt.is_storable
               AND sol.qty_delivered < sol.product_uom_qty
             ORDER BY sol.id
            """
        )
        line_ids = [row[0] for row in cr.fetchall()]
        sample = sorted(random.Random(args.seed).sample(line_ids, min(args.sample, len(line_ids))))
        lines = env["sale.order.line"].browse(sample)
        env.invalidate_all()
        with measure(cr, "sale.order.line._compute_qty_at_date") as odoo_compute:
            lines._compute_qty_at_date()
        widget = sum(1 for line in lines if line.display_qty_widget)
        forecast = sum(1 for line in lines if line.forecast_expected_date)
        env.invalidate_all()
        cr.execute(
            "SELECT count(DISTINCT product_id) FROM sale_order_line WHERE id = ANY(%s)",
            [sample],
        )
        sample_products = cr.fetchone()[0]
        ours = per_line_ms(first, open_lines)
        ours_warm = per_line_ms(second, open_lines)
        theirs = per_line_ms(odoo_compute, len(sample))
        out()
        out(
            f"Odoo's own per-line availability: _compute_qty_at_date() on {len(sample):,} of "
            f"the same open lines (random sample, seed {args.seed}, {sample_products:,} "
            f"products), cache invalidated; {widget:,} lines show the widget, "
            f"{forecast:,} get a forecast date."
        )
        table(
            ["", "lines", "seconds", "queries", "ms/line", "queries/line"],
            [
                (
                    "Odoo _compute_qty_at_date",
                    f"{len(sample):,}",
                    f"{odoo_compute.time:.2f}",
                    f"{odoo_compute.queries:,}",
                    f"{theirs:.3f}",
                    f"{odoo_compute.queries / max(len(sample), 1):.2f}",
                ),
                (
                    "sale_fulfilment full rebuild, 1st run",
                    f"{open_lines:,}",
                    f"{first.time:.2f}",
                    first.queries,
                    f"{ours:.4f}",
                    f"{first.queries / max(open_lines, 1):.5f}",
                ),
                (
                    "sale_fulfilment full rebuild, 2nd run",
                    f"{open_lines:,}",
                    f"{second.time:.2f}",
                    second.queries,
                    f"{ours_warm:.4f}",
                    f"{second.queries / max(open_lines, 1):.5f}",
                ),
            ],
        )
        ratio = theirs / ours if ours else float("inf")
        ratio_warm = theirs / ours_warm if ours_warm else float("inf")
        out(
            f"Per-line ratio (Odoo / ours): {ratio:,.0f}x against the 1st run, "
            f"{ratio_warm:,.0f}x against the 2nd; target >= {TARGET_RATIO:g}x: "
            f"{verdict(ratio >= TARGET_RATIO)}."
        )

        # -- Scaling ------------------------------------------------------
        imported.close(rollback=True)
        env.invalidate_all()
        targets = [int(t) for t in args.scaling.split(",") if t.strip()]
        if targets:
            rows = []
            for target, product_ids, lines_count in scaling_sets(cr, targets):
                savepoint = cr.savepoint(flush=True)
                env.invalidate_all()
                with measure(cr, "cold") as cold:
                    rebook(env, product_ids)
                env.invalidate_all()
                with measure(cr, "warm") as warm:
                    rebook(env, product_ids)
                savepoint.close(rollback=True)
                env.invalidate_all()
                rows.append(
                    (
                        f"{target:,}",
                        f"{len(product_ids):,}",
                        f"{lines_count:,}",
                        f"{cold.time:.2f}",
                        cold.queries,
                        f"{per_line_ms(cold, lines_count) * 1000:.1f}",
                        f"{warm.time:.2f}",
                        warm.queries,
                        f"{per_line_ms(warm, lines_count) * 1000:.1f}",
                    )
                )
            out()
            out(
                "Scaling: _rebook(product_ids) for the first products (by id) holding about "
                "N open lines; 1st run writes every status (just imported), 2nd run finds "
                "nothing changed"
            )
            table(
                [
                    "N",
                    "products",
                    "lines",
                    "1st s",
                    "queries",
                    "us/line",
                    "2nd s",
                    "queries",
                    "us/line",
                ],
                rows,
                [">"] * 9,
            )
        cr.rollback()
    out()
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
