#!/usr/bin/env python3
"""Benchmark of the fulfilment options of sale_fulfilment on 500 sales lines.

Run it through ``bench/run_fulfilment.sh``; see ``bench/FULFILMENT.md``.
Standalone::

    python bench/fulfilment.py -c ODOO_CONF -d sf_bench_f [--lines 500 --small 100]

1. Make to order on N lines, against Odoo's own make-to-order route
   (Replenish on Order + Manufacture) confirming N identical orders.
2. Make in batch and Buy on N lines of 5 products (5 vendors): 5 MOs, 5 POs;
   queries at the small size and at N, against Odoo's own create of the same
   documents.

Everything is built in the ORM, as the admin user, in one transaction that is
rolled back at the end; each measurement runs in a savepoint rolled back
after it. Every measurement includes the end of the transaction
(``flush_all()`` then ``cr.precommit.run()``: mail tracking and the addon's
re-booking), shown apart.
"""

import argparse
import datetime
import os
import platform
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager

import odoo
from odoo import Command

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import out, short_sql, table, verdict

ADDON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ADDON_DIR, "bench")
TARGET_MTO_RATIO = 1.0  # addon time / Odoo's route time, at most


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("-c", "--config", required=True, help="Odoo configuration file")
    parser.add_argument("-d", "--database", default="sf_bench_f")
    parser.add_argument("--lines", type=int, default=500, help="sales lines (one per order)")
    parser.add_argument("--small", type=int, default=100, help="the smaller size, for growth")
    parser.add_argument(
        "--trace", type=int, default=20, help="lines of the untimed runs that find callers"
    )
    parser.add_argument("--products", type=int, default=5, help="products (and vendors)")
    parser.add_argument(
        "--top", type=int, default=8, help="statements shown in each query breakdown"
    )
    parser.add_argument(
        "--share", type=float, default=2.0, help="call-tree steps shown: at least this %% of time"
    )
    args = parser.parse_args(argv)
    if not args.database.startswith("sf_bench_f"):
        parser.error("the benchmark only uses databases whose name starts with sf_bench_f")
    if any(size % args.products for size in (args.lines, args.small, args.trace)):
        parser.error("--lines, --small and --trace must be multiples of --products")
    return args


# ----------------------------------------------------------------------
# Printing
# ----------------------------------------------------------------------
def machine():
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
        ("load", load()),
        ("Python", platform.python_version()),
        ("Odoo", odoo.release.version),
    ]


def load():
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# ----------------------------------------------------------------------
# Measuring
# ----------------------------------------------------------------------
class Measure:
    """Wall time and queries of a step and of the end of its transaction; for both
    together, the CPU time of this (Odoo) process and the time spent in queries."""

    def __init__(self, label, lines):
        self.label = label
        self.lines = lines
        self.time = self.queries = 0
        self.end_time = self.end_queries = 0
        self.cpu = self.sql = 0.0
        self.statements = Counter()
        self.statement_time = Counter()
        self.callers = defaultdict(Counter)
        self.created = ""

    @property
    def total_time(self):
        return self.time + self.end_time

    @property
    def total_queries(self):
        return self.queries + self.end_queries

    def row(self):
        return (
            self.label,
            self.lines,
            f"{self.time:.2f}",
            f"{self.end_time:.2f}",
            f"{self.total_time:.2f}",
            f"{self.total_time / self.lines * 1000:.1f}",
            f"{self.cpu:.2f}",
            f"{self.sql:.2f}",
            self.queries,
            self.end_queries,
            self.total_queries,
            f"{self.total_queries / self.lines:.1f}",
            self.created,
        )


HEADERS = [
    "step",
    "lines",
    "step s",
    "end s",
    "total s",
    "ms/line",
    "cpu s",
    "sql s",
    "step q",
    "end q",
    "total q",
    "q/line",
    "created",
]


def normalize(query):
    if isinstance(query, bytes):
        query = query.decode()
    query = re.sub(r"\s+", " ", query).strip()
    # SAVEPOINT names, literal ids spliced in by some ORM paths.
    query = re.sub(r'"[0-9a-f-]{36}"', '"…"', query)
    return re.sub(r"\b\d+\b", "N", query)


FILES = {}


def classify(filename):
    """("addon", path in the addon) / ("odoo", path under addons/) / None, cached."""
    if filename not in FILES:
        if not filename.endswith(".py"):  # <decorator-gen-N>, <string>, ...
            FILES[filename] = None
            return None
        real = os.path.realpath(filename)
        if real.startswith(ADDON_DIR + os.sep) and not real.startswith(BENCH_DIR + os.sep):
            FILES[filename] = ("addon", os.path.relpath(real, ADDON_DIR))
        elif "/addons/" in real:
            FILES[filename] = ("odoo", real.split("/addons/", 1)[1])
        else:
            FILES[filename] = None
    return FILES[filename]


# The addon's overrides that only pass through to Odoo: a query under them is
# charged to the addon code that called them (the fulfilment step).
PASS_THROUGH = {"create", "write", "unlink", "_action_assign", "_action_confirm", "action_confirm"}


def caller():
    """Where a query comes from: the addon's step (its innermost frame, pass-through
    overrides skipped) and the innermost frame of an Odoo addon."""
    frame = sys._getframe(2)
    odoo_site = None
    addon_frames = []
    while frame is not None:
        kind = classify(frame.f_code.co_filename)
        if kind:
            where = f"{kind[1]}:{frame.f_lineno} {frame.f_code.co_name}"
            if kind[0] == "addon":
                addon_frames.append((frame.f_code.co_name, where))
            elif odoo_site is None and not addon_frames:
                odoo_site = where
        frame = frame.f_back
    steps = [where for name, where in addon_frames if name not in PASS_THROUGH]
    step = steps[0] if steps else addon_frames[0][1] if addon_frames else None
    if step is None:
        return odoo_site or "odoo core"
    return step if odoo_site is None else f"{step} > {odoo_site}"


@contextmanager
def hooked(hook):
    thread = threading.current_thread()
    previous = getattr(thread, "query_hooks", ())
    thread.query_hooks = (*previous, hook)
    try:
        yield
    finally:
        thread.query_hooks = previous


@contextmanager
def measure(env, label, lines, trace=False):
    """Time and count the block, then the end of its transaction (flush, precommit)."""
    result = Measure(label, lines)
    cr = env.cr

    def hook(_cr, query, _params, _start, delay):
        shape = normalize(query)
        result.statements[shape] += 1
        result.statement_time[shape] += delay
        result.sql += delay
        if trace:
            result.callers[shape][caller()] += 1

    # Each measurement starts as a request does: nothing pending, an empty ORM cache.
    env.flush_all()
    cr.precommit.run()
    env.invalidate_all()
    with hooked(hook):
        cpu = time.process_time()
        count, start = cr.sql_log_count, time.perf_counter()
        yield result
        result.time = time.perf_counter() - start
        result.queries = cr.sql_log_count - count
        count, start = cr.sql_log_count, time.perf_counter()
        env.flush_all()
        cr.precommit.run()
        result.end_time = time.perf_counter() - start
        result.end_queries = cr.sql_log_count - count
        result.cpu = time.process_time() - cpu


@contextmanager
def rolled_back(env):
    """A savepoint rolled back after the block, ORM cache and precommit hooks cleared."""
    cr = env.cr
    env.flush_all()
    cr.precommit.run()
    savepoint = cr.savepoint(flush=False)
    try:
        yield
    finally:
        cr.clear()  # ORM cache and pending precommit hooks
        savepoint.close(rollback=True)
        env.invalidate_all(flush=False)


def growing(small, big, top):
    """Statements whose count grows from the small run to the big one."""
    rows = []
    for shape in set(small.statements) | set(big.statements):
        a, b = small.statements.get(shape, 0), big.statements.get(shape, 0)
        if b > a:
            rows.append((b - a, a, b, shape))
    rows.sort(reverse=True)
    return rows[:top]


def print_growth(small, big, top, traced):
    extra = big.lines - small.lines
    rows = growing(small, big, top)
    if not rows:
        out("  no statement runs more often at the bigger size")
        return
    for diff, a, b, shape in rows:
        out(
            f"  {a:>5} -> {b:>5}  ({diff / extra:.2f} per line)  {short_sql(shape)}"
            if extra
            else f"  {a} -> {b}  {short_sql(shape)}"
        )
        for where, n in (traced.callers.get(shape, Counter()) if traced else Counter()).most_common(
            3
        ):
            out(f"                 {n:>5} x from {where}")


def print_top(result, top, traced):
    for shape, n in result.statements.most_common(top):
        out(f"  {n:>6}  {short_sql(shape)}")
        for where, count in traced.callers.get(shape, Counter()).most_common(3):
            out(f"          {count:>6} x from {where}")


# Methods timed as a call tree (aggregated over calls): the addon's fulfilment
# steps and the Odoo steps they go through, on both sides of the comparison.
STEPS = {
    "sale.order": ("action_confirm", "_action_confirm"),
    "sale.order.line": (
        "_action_launch_stock_rule",
        "_fulfil",
        "_fulfilment_default_partner",
        "_fulfilment_blocked_reason",
        "_fulfilment_open_production",
        "_fulfilment_open_productions",
        "_fulfilment_bom",
        "_fulfilment_boms",
        "_prepare_fulfilment_production_vals",
        "_fulfilment_delivery_moves",
        "_fulfil_make_to_order",
        "_fulfil_make_in_batch",
        "_fulfil_purchase",
    ),
    "procurement.group": ("run",),
    "stock.rule": ("_run_pull", "_run_manufacture", "_run_buy"),
    "mrp.production": ("create", "action_confirm", "_post_run_manufacture"),
    "purchase.order": ("create", "write", "button_confirm"),
    "stock.move": (
        "create",
        "write",
        "_action_confirm",
        "_action_assign",
        "_do_unreserve",
        "_recompute_state",
        "_assign_picking",
    ),
    "stock.picking": ("create",),
    "sale.fulfilment.priority": ("_sync_productions_to_orders",),
    "sale.fulfilment.rebook": ("_book_marked",),
}


class Node:
    __slots__ = ("calls", "children", "queries", "time")

    def __init__(self):
        self.calls = self.queries = 0
        self.time = 0.0
        self.children = {}


@contextmanager
def step_tree(env):
    """Patch the STEPS methods to build an aggregated call tree (time, queries)."""
    root = Node()
    stack = [root]
    patched = []

    def wrap(original, label):
        def wrapper(self, *args, **kwargs):
            node = stack[-1].children.setdefault(label, Node())
            stack.append(node)
            count, start = self.env.cr.sql_log_count, time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                node.calls += 1
                node.time += time.perf_counter() - start
                node.queries += self.env.cr.sql_log_count - count
                stack.pop()

        return wrapper

    for model_name, names in STEPS.items():
        if model_name not in env:
            continue
        cls = type(env[model_name])
        for name in names:
            original = getattr(cls, name, None)
            if callable(original):
                patched.append((cls, name, original, name in vars(cls)))
                setattr(cls, name, wrap(original, f"{model_name}.{name}"))
    try:
        yield root
    finally:
        for cls, name, original, own in reversed(patched):
            if own:
                setattr(cls, name, original)
            else:
                delattr(cls, name)


def print_tree(result, root, share=0.02, depth=16):
    """The call tree of a measurement, nodes of at least ``share`` of its time."""
    total = result.total_time
    rows = []

    def walk(node, level):
        children = sorted(node.children.items(), key=lambda item: -item[1].time)
        for label, child in children:
            if child.time < share * total:
                continue
            rows.append(
                (
                    "  " * level + label,
                    child.calls,
                    f"{child.time:.2f}",
                    f"{child.time / total * 100:.0f}%",
                    child.queries,
                )
            )
            if level + 1 < depth:
                walk(child, level + 1)
        if level and children:
            rest = node.time - sum(c.time for c in node.children.values())
            rest_q = node.queries - sum(c.queries for c in node.children.values())
            if rest >= share * total:
                rows.append(
                    (
                        "  " * level + "(own code)",
                        "",
                        f"{rest:.2f}",
                        f"{rest / total * 100:.0f}%",
                        rest_q,
                    )
                )

    walk(root, 0)
    table(["step (method, all calls)", "calls", "seconds", "share", "queries"], rows)


# ----------------------------------------------------------------------
# The data, in the ORM
# ----------------------------------------------------------------------
class Data:
    def __init__(self, env, args):
        self.env = env
        self.warehouse = env.ref("stock.warehouse0")
        self.customer = env["res.partner"].create({"name": "Bench customer"})
        components = [self.product(f"Bench component {i}") for i in (1, 2)]
        for component in components:
            env["stock.quant"]._update_available_quantity(
                component, self.warehouse.lot_stock_id, 10_000_000
            )
        mto_route = env.ref("stock.route_warehouse0_mto")
        mto_route.sudo().active = True
        manufacture = env.ref("mrp.route_warehouse0_manufacture")
        # Make or buy: each product has a BoM and a vendor, one vendor per product.
        self.vendors = env["res.partner"].create(
            [{"name": f"Bench vendor {i}"} for i in range(args.products)]
        )
        # Made by the addon (no route), and the same made by Odoo's route.
        self.made = [
            self.product(f"Bench table {i}", vendor) for i, vendor in enumerate(self.vendors)
        ]
        routes = [Command.set([mto_route.id, manufacture.id])]
        self.routed = [
            self.product(f"Bench routed table {i}", vendor, route_ids=routes)
            for i, vendor in enumerate(self.vendors)
        ]
        env["mrp.bom"].create(
            [
                {
                    "product_tmpl_id": product.product_tmpl_id.id,
                    "product_qty": 1,
                    "bom_line_ids": [
                        Command.create({"product_id": components[0].id, "product_qty": 4}),
                        Command.create({"product_id": components[1].id, "product_qty": 1}),
                    ],
                }
                for product in self.made + self.routed
            ]
        )

    def product(self, name, vendor=None, **vals):
        if vendor:
            vals.update(
                sale_ok=True,
                purchase_ok=True,
                seller_ids=[Command.create({"partner_id": vendor.id, "price": 40.0})],
            )
        return self.env["product.product"].create(
            {"name": name, "type": "consu", "is_storable": True, **vals}
        )

    def orders(self, products, count):
        """``count`` draft orders of one line each (2 units), products taken in turn."""
        return self.env["sale.order"].create(
            [
                {
                    "partner_id": self.customer.id,
                    "warehouse_id": self.warehouse.id,
                    "order_line": [
                        Command.create(
                            {"product_id": products[i % len(products)].id, "product_uom_qty": 2}
                        )
                    ],
                }
                for i in range(count)
            ]
        )


def take(lines, count):
    """``count`` lines spread evenly over the products."""
    by_product = defaultdict(list)
    for line in lines:
        by_product[line.product_id.id].append(line.id)
    per = count // len(by_product)
    return lines.browse([lid for ids in by_product.values() for lid in ids[:per]])


def created(env, model, before):
    return env[model].search([("id", ">", before)])


def max_id(env, model):
    env.cr.execute(f"SELECT COALESCE(MAX(id), 0) FROM {env[model]._table}")
    return env.cr.fetchone()[0]


# ----------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------
def warm_up(env, data):
    """Every path once on a few orders, rolled back: caches loaded, as on a live server."""
    with rolled_back(env):
        few = data.orders(data.made + data.routed, 4 * len(data.made))
        few.action_confirm()
        lines = few.order_line
        lines.filtered(lambda line: line.product_id == data.made[0])._fulfil("make_to_order")
        lines.filtered(lambda line: line.product_id == data.made[1])._fulfil("make_in_batch")
        lines.filtered(lambda line: line.product_id == data.made[2])._fulfil("buy")
        env.flush_all()
        env.cr.precommit.run()


def check_make_to_order(env, lines, productions):
    env.invalidate_all()
    bad = [
        line
        for line in lines
        if len(line.fulfilment_production_ids) != 1
        or line.fulfilment_production_ids.sale_line_id != line
        or line.fulfilment_production_ids.state != "confirmed"
    ]
    if bad or len(productions) != len(lines):
        raise SystemExit(f"bench: make to order made {len(productions)} MOs, {len(bad)} bad lines")


def comparison_row(label, seconds, cpu, queries, lines):
    return (
        label,
        f"{seconds:.2f}",
        f"{cpu:.2f}",
        queries,
        f"{seconds / lines * 1000:.1f}",
        f"{queries / lines:.1f}",
    )


def bench_make_to_order(env, data, args):
    n = args.lines
    out()
    out(f"1. Make to order on {n} lines, against Odoo's own make-to-order route")
    out(
        f"   {n} orders of one line (2 units; {args.products} products, each with a "
        "2-component BoM, components in stock), main warehouse."
    )
    out(
        "   Odoo: products with the routes Replenish on Order (MTO, activated) + Manufacture; "
        "orders.action_confirm() creates one MO per line."
    )
    out(
        "   Addon: identical products without those routes; orders.action_confirm() (plain, "
        "make to stock), then lines._fulfil('make_to_order')."
    )
    start = time.perf_counter()
    plain_orders = data.orders(data.made, n)
    routed_orders = data.orders(data.routed, n)
    env.flush_all()
    out(f"   ({2 * n} draft orders created in the ORM in {time.perf_counter() - start:.1f} s)")

    mo_before = max_id(env, "mrp.production")
    with step_tree(env) as odoo_tree, measure(env, "Odoo MTO: action_confirm()", n) as odoo_mto:
        routed_orders.action_confirm()
    odoo_mos = created(env, "mrp.production", mo_before)
    odoo_mto.created = f"{len(odoo_mos)} MOs"
    if len(odoo_mos) != n or set(odoo_mos.mapped("state")) != {"confirmed"}:
        raise SystemExit(f"bench: Odoo's route created {len(odoo_mos)} MOs for {n} lines")

    with step_tree(env) as plain_tree, measure(env, "plain action_confirm()", n) as plain:
        plain_orders.action_confirm()
    plain.created = "0 MOs"
    # Browsed by id, as the wizard does: one prefetch set for all of them.
    lines = env["sale.order.line"].browse(plain_orders.order_line.ids)

    with rolled_back(env):
        with (
            step_tree(env) as mto_tree,
            measure(env, "addon: _fulfil('make_to_order')", n) as mto,
        ):
            productions = lines._fulfil("make_to_order")
        mto.created = f"{len(productions)} MOs"
        check_make_to_order(env, lines, productions)
    # Where the queries come from: the same on a few lines, each query's caller
    # looked up (which slows it down: not timed).
    with rolled_back(env):
        with measure(env, "traced", args.trace, trace=True) as mto_traced:
            take(lines, args.trace)._fulfil("make_to_order")
    with rolled_back(env):
        traced_orders = data.orders(data.routed, args.trace)
        with measure(env, "traced", args.trace, trace=True) as odoo_traced:
            traced_orders.action_confirm()

    odoo_extra_time = odoo_mto.total_time - plain.total_time
    odoo_extra_queries = odoo_mto.total_queries - plain.total_queries
    addon_time = plain.total_time + mto.total_time
    addon_queries = plain.total_queries + mto.total_queries
    out()
    table(HEADERS, [odoo_mto.row(), plain.row(), mto.row()])
    out()
    table(
        ["comparison", "seconds", "cpu s", "queries", "ms/line", "q/line"],
        [
            comparison_row(
                "Odoo MTO confirm", odoo_mto.total_time, odoo_mto.cpu, odoo_mto.total_queries, n
            ),
            comparison_row(
                "Odoo MTO extra over plain confirm",
                odoo_extra_time,
                odoo_mto.cpu - plain.cpu,
                odoo_extra_queries,
                n,
            ),
            comparison_row(
                "addon: plain confirm + Make to order",
                addon_time,
                plain.cpu + mto.cpu,
                addon_queries,
                n,
            ),
            comparison_row(
                "addon: Make to order alone", mto.total_time, mto.cpu, mto.total_queries, n
            ),
        ],
    )
    ratio_total = addon_time / odoo_mto.total_time
    ratio_extra = mto.total_time / odoo_extra_time if odoo_extra_time > 0 else float("inf")
    cpu_total = (plain.cpu + mto.cpu) / odoo_mto.cpu
    cpu_extra = mto.cpu / (odoo_mto.cpu - plain.cpu)
    out()
    out(
        "   ('cpu s': CPU time of the Odoo process, less sensitive than wall time to other "
        "work on the machine; 'sql s' above: time spent waiting for queries)"
    )
    out(
        f"   addon / Odoo, confirmation included: time {ratio_total:.2f}, Odoo CPU "
        f"{cpu_total:.2f}, queries {addon_queries / odoo_mto.total_queries:.2f} -> target "
        f"<= {TARGET_MTO_RATIO:.1f}: {verdict(ratio_total <= TARGET_MTO_RATIO)}"
    )
    out(
        f"   addon's Make to order / Odoo's MTO extra: time {ratio_extra:.2f}, Odoo CPU "
        f"{cpu_extra:.2f}, queries {mto.total_queries / odoo_extra_queries:.2f} -> "
        f"{verdict(ratio_extra <= TARGET_MTO_RATIO)}"
    )
    for title, result, tree in (
        ("Odoo's MTO confirm", odoo_mto, odoo_tree),
        ("the plain confirm", plain, plain_tree),
        ("the addon's Make to order", mto, mto_tree),
    ):
        out()
        out(f"   Where the time of {title} goes (steps of at least {args.share:g}% of its time):")
        print_tree(result, tree, share=args.share / 100)
    out()
    out(
        f"   Queries of the addon's Make to order, most frequent {args.top} (callers counted "
        f"on {args.trace} lines):"
    )
    print_top(mto, args.top, mto_traced)
    out()
    out(f"   Queries of Odoo's MTO confirm, most frequent {args.top}:")
    print_top(odoo_mto, args.top, odoo_traced)
    out()
    out(
        f"   Where the query time goes, {args.top} statements with the most time in all "
        "(seconds, count, ms each):"
    )
    for title, result in (
        ("Odoo's MTO confirm", odoo_mto),
        ("plain confirm", plain),
        ("addon's Make to order", mto),
    ):
        out(f"   {title}: {result.sql:.2f} s in {result.total_queries} queries")
        print_slowest(result, args.top)
    out()
    out(
        f"   Queries of the addon's Make to order by the line of the addon they come from "
        f"(innermost frame of the addon), on {args.trace} lines:"
    )
    print_sites(mto_traced, args.top + 4)
    out()
    out(
        "   Statements the addon's Make to order runs more often than Odoo's MTO extra "
        f"(MTO confirm minus plain confirm), {args.top} biggest differences:"
    )
    print_excess(mto, odoo_mto, plain, args.top, mto_traced)
    return lines


def print_slowest(result, top):
    for shape, seconds in result.statement_time.most_common(top):
        count = result.statements[shape]
        out(
            f"  {seconds:>7.2f} s {count:>6} x {seconds / count * 1000:>6.2f} ms  "
            f"{short_sql(shape, 80)}"
        )


def print_sites(traced, top):
    sites = Counter()
    for callers in traced.callers.values():
        for where, count in callers.items():
            sites[where.split(" > ")[0] if " > " in where else "(no frame of the addon)"] += count
    for where, count in sites.most_common(top):
        out(f"  {count:>6}  ({count / traced.lines:>5.1f} per line)  {where}")


def print_excess(mto, odoo_mto, plain, top, traced):
    shapes = set(mto.statements) | set(odoo_mto.statements) | set(plain.statements)
    diffs = []
    for shape in shapes:
        odoo_extra = odoo_mto.statements.get(shape, 0) - plain.statements.get(shape, 0)
        diff = mto.statements.get(shape, 0) - odoo_extra
        if diff > 0:
            diffs.append((diff, odoo_extra, shape))
    diffs.sort(reverse=True)
    total = sum(diff for diff, _extra, _shape in diffs)
    out(
        f"   (in all {total} more over {len(diffs)} statements, "
        f"{total / mto.lines:.1f} per line; net difference "
        f"{mto.total_queries - (odoo_mto.total_queries - plain.total_queries)})"
    )
    for diff, odoo_extra, shape in diffs[:top]:
        addon = mto.statements.get(shape, 0)
        out(
            f"  {addon:>6} vs {odoo_extra:>6} (+{diff / mto.lines:.1f} per line)  "
            f"{short_sql(shape, 80)}"
        )
        for where, count in traced.callers.get(shape, Counter()).most_common(3):
            out(f"                  {count:>5} x from {where}")


def bench_fulfil_sizes(env, lines, args, mode):
    """``_fulfil(mode)`` on the small set, the big one, and a traced run (untimed)."""
    results = []
    for subset, trace in ((take(lines, args.small), False), (lines, False)):
        with rolled_back(env):
            with measure(env, f"addon: _fulfil('{mode}')", len(subset), trace) as result:
                documents = subset._fulfil(mode)
            if documents._name == "purchase.order":
                result.created = f"{len(documents)} POs, {len(documents.order_line)} lines"
            else:
                result.created = f"{len(documents)} MOs"
            results.append((result, len(documents)))
    with rolled_back(env):
        with measure(env, "traced", args.trace, trace=True) as traced:
            take(lines, args.trace)._fulfil(mode)
    return results, traced


def bench_batch(env, lines, args):
    out()
    out(
        f"2. Make in batch on {args.small} and {args.lines} of the same lines ({args.products} "
        "products): one MO per product"
    )
    results, traced = bench_fulfil_sizes(env, lines, args, "make_in_batch")
    # Odoo's own create of the same MOs: what it needs per line (nothing).
    baselines = []
    for subset in (take(lines, args.small), lines):
        with rolled_back(env):
            qty = defaultdict(float)
            for line in subset:
                qty[line.product_id] += line.product_uom_qty
            vals_list = [
                {
                    "product_id": product.id,
                    "product_qty": quantity,
                    "picking_type_id": subset.order_id.warehouse_id.manu_type_id.id,
                    "origin": ", ".join(subset.order_id.mapped("name")),
                }
                for product, quantity in qty.items()
            ]
            with measure(env, "Odoo: MO create + action_confirm", len(subset)) as base:
                productions = env["mrp.production"].create(vals_list)
                productions.action_confirm()
            base.created = f"{len(productions)} MOs"
            baselines.append(base)
    report_growth(results, baselines, traced, args, "MO", "product")


def bench_buy(env, data, lines, args):
    out()
    out(
        f"3. Buy on {args.small} and {args.lines} of the same lines ({args.products} products, "
        "one vendor each): one confirmed PO per vendor"
    )
    results, traced = bench_fulfil_sizes(env, lines, args, "buy")
    baselines = []
    for subset in (take(lines, args.small), lines):
        with rolled_back(env):
            by_vendor = defaultdict(list)
            for line in subset:
                by_vendor[line.product_id.seller_ids[:1].partner_id].append(
                    Command.create(
                        {"product_id": line.product_id.id, "product_qty": line.product_uom_qty}
                    )
                )
            vals_list = [
                {
                    "partner_id": vendor.id,
                    "picking_type_id": data.warehouse.in_type_id.id,
                    "order_line": commands,
                }
                for vendor, commands in by_vendor.items()
            ]
            with measure(env, "Odoo: PO create + button_confirm", len(subset)) as base:
                purchases = env["purchase.order"].create(vals_list)
                purchases.button_confirm()
            base.created = f"{len(purchases)} POs, {len(purchases.order_line)} lines"
            baselines.append(base)
    report_growth(results, baselines, traced, args, "PO", "vendor")


def report_growth(results, baselines, traced, args, document, per):
    (small, small_docs), (big, big_docs) = results
    base_small, base_big = baselines
    out()
    table(HEADERS, [small.row(), big.row(), base_small.row(), base_big.row()])
    extra = big.lines - small.lines
    slope = (big.total_queries - small.total_queries) / extra
    base_slope = (base_big.total_queries - base_small.total_queries) / extra
    docs_ok = small_docs == big_docs == args.products
    out()
    out(
        f"   queries at {small.lines} -> {big.lines} lines: addon {small.total_queries} -> "
        f"{big.total_queries} ({slope:.2f} per extra line); Odoo's own create of the same "
        f"{document}s {base_small.total_queries} -> {base_big.total_queries} "
        f"({base_slope:.2f} per extra line)"
    )
    out(f"   one {document} per {per}: {small_docs} and {big_docs} -> {verdict(docs_ok)}")
    out(
        f"   queries per extra line beyond Odoo's own create: {slope - base_slope:.2f} -> "
        f"{verdict(slope - base_slope < 0.05)}"
    )
    out()
    out(
        f"   Statements run more often at {big.lines} than at {small.lines} lines, addon "
        f"(callers counted on {args.trace} lines):"
    )
    print_growth(small, big, args.top, traced)
    out(f"   Same, Odoo's own create of the {document}s:")
    print_growth(base_small, base_big, args.top, None)


def main(argv=None):
    args = parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"], setup_logging=True
    )
    registry = odoo.modules.registry.Registry(args.database)
    out(f"sale_fulfilment fulfilment benchmark, database {args.database}")
    out()
    table(["", ""], machine(), ["<", "<"])
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env = env(user=env.ref("base.user_admin"))
        if "sale.fulfilment.booking" not in env:
            raise SystemExit(f"bench: sale_fulfilment is not installed in {args.database}")
        try:
            start = time.perf_counter()
            data = Data(env, args)
            warm_up(env, data)
            out()
            out(
                f"Set-up in the ORM (products, BoMs, stock, vendors; every path once on a few "
                f"orders, rolled back, to warm the caches): {time.perf_counter() - start:.1f} s."
            )
            out(
                "Wall time as the admin user. Each measurement starts with an empty ORM cache "
                "and includes the end of its transaction ('end': flush_all() + "
                "cr.precommit.run(): mail tracking, the addon's re-booking)."
            )
            lines = bench_make_to_order(env, data, args)
            bench_batch(env, lines, args)
            bench_buy(env, data, lines, args)
        finally:
            cr.rollback()
    out()
    out(f"Load at the end: {load()}")
    out(f"Everything was rolled back. Run time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
