#!/usr/bin/env python3
"""Benchmark of a drag in the Sales priority and Schedule lists of sale_fulfilment.

Run it through ``bench/run_fulfilment.sh priority``; see ``bench/FULFILMENT.md``.
Standalone::

    python bench/priority.py -c ODOO_CONF -d sf_bench_f_priority [--orders 2000]

The data set, built once in the ORM and committed (a marker records its
sizes): N confirmed orders of one line each, every line made to order
(``_fulfil("make_to_order")``), so N open orders and N make-to-order MOs.
Each measurement is a drag as the lists do it (``records._set_ranks()`` in the
new order, which also re-ranks the other side) then the end of the
transaction (``flush_all()`` + ``cr.precommit.run()``: the re-booking of the
touched products); it is rolled back.
"""

import argparse
import json
import os
import sys
import time
from collections import Counter

import psycopg2

import odoo
from odoo import Command
from odoo.tools.safe_eval import safe_eval

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fulfilment import caller, hooked, load, machine, normalize
from report import out, short_sql, table, verdict

MARKER_KEY = "sale_fulfilment.bench_priority"
EXIT_OTHER_DATASET = 3
PAGE = 80
ORDER_ORDER = "fulfilment_priority, date_order, id"
SCHEDULE_ORDER = "schedule_priority, id"
# Ranks, and what the re-booking writes.
WRITTEN_TABLES = (
    "sale_order",
    "mrp_production",
    "sale_fulfilment_line_availability",
    "sale_fulfilment_order_availability",
    "sale_fulfilment_move_availability",
    "sale_fulfilment_production_availability",
    "sale_fulfilment_stock",
)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", default="sf_bench_f_priority")
    size = parser.add_argument_group("data set (a change needs a new database)")
    size.add_argument("--orders", type=int, default=2000, help="orders, one MO each")
    size.add_argument("--products", type=int, default=20, help="manufactured products")
    size.add_argument("--batch", type=int, default=200, help="orders per ORM batch")
    run = parser.add_argument_group("measurements")
    run.add_argument(
        "--small", type=int, default=500, help="open orders of the repeat of the page drag"
    )
    run.add_argument("--top", type=int, default=6, help="slowest queries shown per drag")
    args = parser.parse_args(argv)
    if not args.database.startswith("sf_bench_f"):
        parser.error("the benchmark only uses databases whose name starts with sf_bench_f")
    return args


def vacuum(dbname, tables=WRITTEN_TABLES):
    """VACUUM ANALYZE (autocommit, its own connection): after the build, between drags."""
    _name, info = odoo.sql_db.connection_info_for(dbname)
    connection = psycopg2.connect(**info)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            for name in tables:
                cursor.execute(f"VACUUM ANALYZE {name}")
    finally:
        connection.close()


def admin_env(cr, **context):
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, context)
    return env(user=env.ref("base.user_admin"))


# ----------------------------------------------------------------------
# The data set, in the ORM, committed once
# ----------------------------------------------------------------------
def build(env, args):
    warehouse = env.ref("stock.warehouse0")
    product = env["product.product"]
    components = product.create(
        [
            {"name": f"Bench priority component {i}", "type": "consu", "is_storable": True}
            for i in (1, 2)
        ]
    )
    for component in components:
        env["stock.quant"]._update_available_quantity(component, warehouse.lot_stock_id, 10_000_000)
    products = product.create(
        [
            {
                "name": f"Bench priority table {i}",
                "type": "consu",
                "is_storable": True,
                "sale_ok": True,
            }
            for i in range(args.products)
        ]
    )
    env["mrp.bom"].create(
        [
            {
                "product_tmpl_id": table_product.product_tmpl_id.id,
                "product_qty": 1,
                "bom_line_ids": [
                    Command.create({"product_id": components[0].id, "product_qty": 4}),
                    Command.create({"product_id": components[1].id, "product_qty": 1}),
                ],
            }
            for table_product in products
        ]
    )
    customers = env["res.partner"].create(
        [{"name": f"Bench priority customer {i}"} for i in range(10)]
    )
    done = 0
    start = time.perf_counter()
    while done < args.orders:
        count = min(args.batch, args.orders - done)
        orders = env["sale.order"].create(
            [
                {
                    "partner_id": customers[(done + i) % len(customers)].id,
                    "warehouse_id": warehouse.id,
                    "client_order_ref": "bench-priority",
                    "order_line": [
                        Command.create(
                            {
                                "product_id": products[(done + i) % len(products)].id,
                                "product_uom_qty": 1 + (done + i) % 5,
                            }
                        )
                    ],
                }
                for i in range(count)
            ]
        )
        orders.action_confirm()
        env["sale.order.line"].browse(orders.order_line.ids)._fulfil("make_to_order")
        env.flush_all()
        env.cr.precommit.run()
        env.invalidate_all()
        done += count
        out(f"  {done:>6,} orders confirmed and made to order, {time.perf_counter() - start:.0f} s")


def ensure_dataset(registry, args):
    wanted = {"orders": args.orders, "products": args.products}
    with registry.cursor() as cr:
        env = admin_env(cr)
        if "sale.fulfilment.booking" not in env:
            raise SystemExit(f"bench: sale_fulfilment is not installed in {args.database}")
        marker = env["ir.config_parameter"].sudo().get_param(MARKER_KEY)
        if marker:
            built = json.loads(marker)
            if {key: built.get(key) for key in wanted} != wanted:
                out(f"The database holds another data set: {marker}")
                sys.exit(EXIT_OTHER_DATASET)
            out(f"Data set: reused (built {built['built_at']}, in {built['seconds']:.0f} s).")
            return
        if env["sale.order"].search_count([("client_order_ref", "=", "bench-priority")]):
            out("The database holds part of a data set (a build was interrupted).")
            sys.exit(EXIT_OTHER_DATASET)
        out(
            f"Data set: building {args.orders:,} confirmed orders of one line, each made to "
            f"order, in the ORM by batches of {args.batch} (once; committed, then reused)."
        )
        start = time.perf_counter()
        build(admin_env(cr, tracking_disable=True, mail_create_nolog=True), args)
        seconds = time.perf_counter() - start
        env["ir.config_parameter"].sudo().set_param(
            MARKER_KEY,
            json.dumps(
                {
                    **wanted,
                    "built_at": time.strftime("%Y-%m-%d %H:%M"),
                    "seconds": seconds,
                }
            ),
        )
        cr.commit()
    vacuum(args.database)
    out(f"Data set built in {seconds:.0f} s.")


# ----------------------------------------------------------------------
# Measuring a drag
# ----------------------------------------------------------------------
class Step:
    def __init__(self):
        self.time = 0.0
        self.queries = 0
        self.log = []


def timed(env, step, func):
    cr = env.cr

    def hook(_cr, query, _params, _start, delay):
        step.log.append((delay, query, caller()))

    with hooked(hook):
        count, start = cr.sql_log_count, time.perf_counter()
        result = func()
        step.time = time.perf_counter() - start
        step.queries = cr.sql_log_count - count
    return result


def action_records(env, xmlid, order):
    action = env.ref(xmlid)
    model = env[action.res_model]
    return model.search(safe_eval(action.domain), order=order)


def open_orders(env):
    return action_records(env, "sale_fulfilment.sale_order_action_fulfilment_priority", ORDER_ORDER)


def schedule(env):
    return action_records(env, "sale_fulfilment.mrp_production_action_schedule", SCHEDULE_ORDER)


def make_to_order(productions):
    return productions.filtered(lambda p: p.fulfilment_mode == "make_to_order" and p.sale_line_id)


class Drag:
    """One drag: what was moved, drop and end-of-transaction steps, checks."""

    def __init__(self, label):
        self.label = label
        self.drop = Step()
        self.end = Step()
        self.moved = self.list_size = self.products = self.lines = 0
        self.other_side = 0
        self.check = ""


def drag(env, label, records, other_side):
    """``records._set_ranks()`` then the end of the transaction; ``other_side`` is the
    ranked recordset of the other list (to count what the sync moved)."""
    result = Drag(label)
    cr = env.cr
    env.flush_all()
    cr.precommit.run()
    before_other = {rec.id: rec[rec._rank_field] for rec in other_side}
    env.invalidate_all()
    moved = timed(env, result.drop, records._set_ranks)
    result.moved = len(moved)
    dirty = set()
    booking = type(env["sale.fulfilment.booking"])
    rebook = booking._rebook

    def recording(self, product_ids=None):
        dirty.update(product_ids or ())
        return rebook(self, product_ids)

    def end():
        env.flush_all()
        cr.precommit.run()

    booking._rebook = recording
    try:
        timed(env, result.end, end)
    finally:
        del booking._rebook
    result.products = len(dirty)
    if dirty:
        cr.execute(
            """
            SELECT count(*) FROM sale_order_line sol JOIN sale_order so ON so.id = sol.order_id
             WHERE so.state = 'sale' AND sol.product_id = ANY(%s)
            """,
            [sorted(dirty)],
        )
        result.lines = cr.fetchone()[0]
    env.invalidate_all()
    result.other_side = sum(
        1 for rec in other_side.exists() if rec[rec._rank_field] != before_other[rec.id]
    )
    # The records are now ranked in the order they were given.
    ranks = [rec[rec._rank_field] for rec in records]
    result.check = "ok" if ranks == sorted(ranks) and len(set(ranks)) == len(ranks) else "WRONG"
    return result


def check_orders_follow(env, order):
    """The order's make-to-order MOs sit before those of every order ranked after it."""
    productions = make_to_order(schedule(env))
    ranked = open_orders(env)
    position = {o.id: i for i, o in enumerate(ranked)}
    keys = [position.get(p.sale_line_id.order_id.id, -1) for p in productions]
    return "ok" if keys == sorted(keys) else "WRONG (MOs out of their orders' order)"


def shrink(env, keep):
    """Leave ``keep`` bench orders open: the others cancelled in SQL, MOs and moves too.

    Inside the measured transaction, rolled back with it; then re-booked.
    """
    cr = env.cr
    ranked = open_orders(env)
    bench = ranked.filtered(lambda o: o.client_order_ref == "bench-priority")
    cancel = bench[: len(bench) - keep]
    cr.execute(
        """
        WITH so AS (UPDATE sale_order SET state = 'cancel' WHERE id = ANY(%(ids)s) RETURNING id),
             sol AS (SELECT id FROM sale_order_line WHERE order_id = ANY(%(ids)s)),
             mp AS (UPDATE mrp_production SET state = 'cancel'
                     WHERE sale_line_id IN (SELECT id FROM sol) RETURNING id)
        UPDATE stock_move SET state = 'cancel'
         WHERE sale_line_id IN (SELECT id FROM sol)
            OR raw_material_production_id IN (SELECT id FROM mp)
            OR production_id IN (SELECT id FROM mp)
        """,
        {"ids": cancel.ids},
    )
    env.invalidate_all()
    # Everything, components included, as the nightly rebuild would after an import.
    env["sale.fulfilment.booking"]._rebook(None)
    env.flush_all()
    env.invalidate_all()
    return len(cancel)


# ----------------------------------------------------------------------
# The drags
# ----------------------------------------------------------------------
def page_drag(env, label):
    """The last order dropped above the 79 before it (the last page of 80)."""
    ranked = open_orders(env)
    page = ranked[-PAGE:]
    last = page[-1]
    result = drag(env, label, last | page[:-1], make_to_order(schedule(env)))
    result.list_size = len(ranked)
    result.check += ", MOs follow: " + check_orders_follow(env, last)
    return result


def full_drag(env, label):
    """The last order dropped at the top of the whole list."""
    ranked = open_orders(env)
    last = ranked[-1]
    result = drag(env, label, last | ranked[:-1], make_to_order(schedule(env)))
    result.list_size = len(ranked)
    result.check += ", MOs follow: " + check_orders_follow(env, last)
    return result


def schedule_page_drag(env, label):
    """The last make-to-order MO of the Schedule's first page (80) dropped at its top."""
    productions = schedule(env)
    page = productions[:PAGE]
    dragged = make_to_order(page)[-1]
    records = dragged | (page - dragged)
    result = drag(env, label, records, open_orders(env))
    result.list_size = len(productions)
    result.check += ", order follows: " + check_order_moved(env, dragged)
    return result


def schedule_full_drag(env, label):
    """The last make-to-order MO of the Schedule dropped at the top of all of it."""
    productions = schedule(env)
    dragged = make_to_order(productions)[-1]
    records = dragged | (productions - dragged)
    result = drag(env, label, records, open_orders(env))
    result.list_size = len(productions)
    result.check += ", order follows: " + check_order_moved(env, dragged)
    return result


def check_order_moved(env, production):
    """Its order now comes first among the orders that have make-to-order MOs."""
    order = production.sale_line_id.order_id
    with_mos = make_to_order(schedule(env)).sale_line_id.order_id
    first = open_orders(env).filtered(lambda o: o in with_mos)[:1]
    return "ok" if first == order else f"WRONG (first is {first.name}, not {order.name})"


def measure(registry, args, func, label, keep=None):
    with registry.cursor() as cr:
        env = admin_env(cr)
        try:
            cancelled = shrink(env, keep) if keep else 0
            result = func(env, label)
            result.cancelled = cancelled
        finally:
            cr.rollback()
    vacuum(args.database)
    return result


def print_drags(results):
    rows = []
    for r in results:
        rows.append(
            (
                r.label,
                f"{r.list_size:,}",
                r.moved,
                r.other_side,
                f"{r.drop.time:.3f}",
                r.drop.queries,
                f"{r.end.time:.3f}",
                r.end.queries,
                f"{r.drop.time + r.end.time:.3f}",
                r.drop.queries + r.end.queries,
                f"{r.products}/{r.lines:,}",
            )
        )
    table(
        [
            "drag",
            "list",
            "moved",
            "other side",
            "drop s",
            "drop q",
            "end s",
            "end q",
            "total s",
            "total q",
            "re-booked products/lines",
        ],
        rows,
    )


def print_queries(result, top=None):
    """The queries of a drag in order (or the ``top`` slowest), with their callers."""
    log = [("drop", *entry) for entry in result.drop.log]
    log += [("end", *entry) for entry in result.end.log]
    if top:
        log = sorted(log, key=lambda item: -item[1])[:top]
    for step, delay, query, where in log:
        out(f"  {step:<4} {delay * 1000:>7.1f} ms  {short_sql(normalize(query), 96)}")
        out(f"                       from {where}")


def statements(result):
    return Counter(
        (normalize(query), where) for _delay, query, where in result.drop.log + result.end.log
    )


def main(argv=None):
    args = parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"], setup_logging=True
    )
    registry = odoo.modules.registry.Registry(args.database)
    out(f"sale_fulfilment priority (drag) benchmark, database {args.database}")
    out()
    table(["", ""], machine(), ["<", "<"])
    out()
    ensure_dataset(registry, args)
    started = time.perf_counter()
    # A drag on each side, rolled back, to load the caches as on a live server.
    measure(registry, args, page_drag, "warm-up")
    measure(registry, args, schedule_page_drag, "warm-up")

    a = measure(registry, args, page_drag, "(a) last order to the top of its page")
    b = measure(registry, args, full_drag, "(b) last order to the top of the whole list")
    c1 = measure(registry, args, schedule_page_drag, "(c) last MTO MO of page 1 to its top")
    c2 = measure(registry, args, schedule_full_drag, "(c') last MTO MO to the top, whole list")
    small = measure(
        registry, args, page_drag, f"(a) again, {args.small} bench orders open", keep=args.small
    )
    c_small = measure(
        registry,
        args,
        schedule_page_drag,
        f"(c) again, {args.small} bench orders open",
        keep=args.small,
    )
    out()
    out(
        "Each drag: records._set_ranks() in the new order (what the list's drag-and-drop "
        "does; it re-ranks the other list too), then the end of the transaction: "
        "flush_all() + cr.precommit.run() (re-booking of the touched products). Rolled back; "
        "VACUUM ANALYZE after each."
    )
    out(
        "'list': rows of the list (Sales priority or Schedule, the actions' domains); "
        "'moved': records whose rank changed; 'other side': make-to-order MOs (or orders) "
        "re-ranked by the sync."
    )
    out()
    print_drags([a, b, c1, c2, small, c_small])
    out()
    for result in (a, b, c1, c2, small, c_small):
        out(f"{result.label}: {result.check}")
    out()
    for big, little, what in ((a, small, "orders"), (c1, c_small, "MOs")):
        same = big.drop.queries + big.end.queries == little.drop.queries + little.end.queries
        out(
            f"{big.label[:3]} page drag with {big.list_size:,} {what} in the list: "
            f"{big.drop.queries + big.end.queries} queries; with {little.list_size:,} (the "
            f"other {little.cancelled:,} bench orders cancelled in SQL, their MOs and moves "
            f"too): {little.drop.queries + little.end.queries} queries -> constant: "
            f"{verdict(same)}"
        )
        if not same:
            many, few = statements(big), statements(little)
            for key in sorted(set(many) | set(few)):
                if many[key] != few[key]:
                    out(f"  {few[key]:>4} -> {many[key]:>4}  {short_sql(key[0], 90)}")
                    out(f"                from {key[1]}")
    out()
    out(f"Every query of {a.label}, in order:")
    print_queries(a)
    for result in (b, c1):
        out()
        out(f"Slowest {args.top} queries of {result.label}:")
        print_queries(result, args.top)
    out()
    out(f"Load at the end: {load()}")
    seconds = time.perf_counter() - started
    out(f"Everything the drags wrote was rolled back. Run time {seconds:.0f} s.")


if __name__ == "__main__":
    main()
