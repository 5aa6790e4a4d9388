"""Beyond Katana: what the third version's features cost (see bench/FULFILMENT.md).

    bench/run_fulfilment.sh beyond [-- --orders 500 --lines 1000 --depth 10]

1. Default fulfilment at confirmation: N orders confirmed one by one, each
   with its transaction's end (flush, precommit: the booking), of a product
   whose default is Buy and that nothing covers, against the same
   confirmations of the same product without a default.
   A third row: no default, and a planner's Buy on each line right after
   its confirmation (the wizard's own path): what the default saves him.
2. Promise dates of 1,000 Not available lines (made, bought and outsourced
   products), cold ORM cache, against 100 lines: time and queries.
3. Make to order down the tree: the booking of a tree's products, for trees
   1 to ``--depth`` levels deep: its queries must not grow with the depth.

Everything is rolled back.
"""

import argparse
import itertools
import os
import sys
import time

import odoo
from odoo import Command

ADDON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(ADDON_DIR))


def out(text=""):
    print(text, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--depth", type=int, default=10)
    return parser.parse_args(argv)


class Clock:
    """Wall time, CPU time of this process, and queries, of a block."""

    def __init__(self, env):
        self.env = env

    def __enter__(self):
        self.env.invalidate_all()
        self.queries = self.env.cr.sql_log_count
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.queries = self.env.cr.sql_log_count - self.queries


def end_of_transaction(env):
    env.flush_all()
    env.cr.precommit.run()


def undo(env, savepoint):
    """Roll back to ``savepoint``, with what the ORM and the hooks still hold."""
    savepoint.rollback()
    env.invalidate_all()
    env.cr.precommit.clear()


def product(env, name, **vals):
    return env["product.product"].create(
        {"name": f"Bench {name}", "type": "consu", "is_storable": True, **vals}
    )


def bom(env, made, parts, **vals):
    return env["mrp.bom"].create(
        {
            "product_tmpl_id": made.product_tmpl_id.id,
            "product_qty": 1,
            "bom_line_ids": [
                Command.create({"product_id": part.id, "product_qty": qty}) for part, qty in parts
            ],
            **vals,
        }
    )


def draft_orders(env, customer, lines, count):
    return env["sale.order"].create(
        [
            {
                "partner_id": customer.id,
                "order_line": [
                    Command.create({"product_id": p.id, "product_uom_qty": qty}) for p, qty in lines
                ],
            }
            for _i in range(count)
        ]
    )


def bench_defaults(env, args, customer, vendor):
    out(f"1. Default fulfilment at the confirmation of {args.orders} orders, one by one")
    rows = []
    cases = (
        ("without a default", False, False),
        ("default Buy", "buy", False),
        ("planner's Buy", False, True),
    )
    for label, default, by_hand in cases:
        with env.cr.savepoint(flush=False) as savepoint:
            chair = product(
                env,
                f"chair ({label})",
                purchase_ok=True,
                seller_ids=[Command.create({"partner_id": vendor.id, "price": 10})],
            )
            chair.fulfilment_default_mode = default
            orders = draft_orders(env, customer, [(chair, 2)], args.orders)
            end_of_transaction(env)
            with Clock(env) as clock:
                for order in orders:
                    order.action_confirm()
                    end_of_transaction(env)
                    if by_hand:
                        # The same answer without a default: Fulfil > Buy on the line.
                        order.order_line._fulfil("buy")
                        end_of_transaction(env)
            modes = set(orders.order_line.mapped("fulfilment_mode"))
            purchases = env["purchase.order.line"].search_count([("product_id", "=", chair.id)])
            rows.append((label, clock, modes, purchases))
            undo(env, savepoint)
    base = rows[0][1]
    out(
        f"   {'':20} {'wall s':>8} {'ms/order':>9} {'queries':>8} {'q/order':>8} "
        f"{'vs none':>8}  result"
    )
    for label, clock, modes, purchases in rows:
        out(
            f"   {label:20} {clock.wall:8.2f} {clock.wall * 1000 / args.orders:9.1f} "
            f"{clock.queries:8d} {clock.queries / args.orders:8.1f} "
            f"{clock.wall / base.wall:8.2f}  modes {sorted(m or '-' for m in modes)}, "
            f"{purchases} purchase lines"
        )
    out()


def bench_promises(env, args, customer, vendor, subcontractor):
    out(f"2. Promise dates of Not available lines ({args.lines} and a tenth of them)")
    with env.cr.savepoint(flush=False) as savepoint:
        part = product(
            env,
            "promise part",
            purchase_ok=True,
            seller_ids=[Command.create({"partner_id": vendor.id, "price": 1, "delay": 9})],
        )
        made = product(env, "promise made")
        bom(env, made, [(part, 2)], produce_delay=3)
        bought = product(
            env,
            "promise bought",
            purchase_ok=True,
            seller_ids=[Command.create({"partner_id": vendor.id, "price": 5, "delay": 4})],
        )
        outsourced = product(
            env,
            "promise outsourced",
            purchase_ok=True,
            seller_ids=[Command.create({"partner_id": subcontractor.id, "price": 8, "delay": 6})],
        )
        bom(
            env,
            outsourced,
            [(part, 1)],
            type="subcontract",
            subcontractor_ids=[Command.set(subcontractor.ids)],
        )
        per_order = [(made, 1), (bought, 1), (outsourced, 1)]
        count = -(-args.lines // len(per_order))
        orders = draft_orders(env, customer, per_order, count)
        orders.action_confirm()
        end_of_transaction(env)
        lines = orders.order_line
        statuses = set(lines.mapped("availability_status"))
        promise = env["sale.fulfilment.promise"]
        promise._promise_dates(lines[:3])  # warm what does not depend on the lines
        results = []
        for size in (len(lines) // 10, len(lines)):
            some = lines[:size]
            with Clock(env) as clock:
                dates = promise._promise_dates(some.browse(some.ids))
            results.append((size, clock, dates))
        out(f"   statuses of the lines: {sorted(statuses)}")
        out(f"   {'lines':>7} {'wall s':>8} {'ms/line':>8} {'queries':>8}")
        for size, clock, _dates in results:
            out(
                f"   {size:7d} {clock.wall:8.3f} {clock.wall * 1000 / size:8.3f} {clock.queries:8d}"
            )
        for line in orders[0].order_line:
            dates = results[-1][2][line.id]
            out(
                f"   {line.product_id.name}: "
                + ", ".join(f"{k} {v or '-'}" for k, v in dates.items())
            )
        undo(env, savepoint)
    out()


def bench_tree(env, args, customer):
    out(f"3. Booking a make-to-order tree's products, 1 to {args.depth} levels deep")
    out(f"   {'levels':>6} {'MOs':>4} {'queries':>8} {'wall ms':>8}")
    tree = env["sale.fulfilment.tree"]
    booking = env["sale.fulfilment.booking"]
    for depth in sorted({1, 2, 3, args.depth // 2, args.depth} - {0}):
        with env.cr.savepoint(flush=False) as savepoint:
            chain = [product(env, f"level {i}", sale_ok=(i == 0)) for i in range(depth + 1)]
            for made, part in itertools.pairwise(chain):
                bom(env, made, [(part, 1)])
            order = draft_orders(env, customer, [(chain[0], 2)], 1)
            order.action_confirm()
            end_of_transaction(env)
            top = order.order_line._fulfil("make_to_order")
            end_of_transaction(env)
            made = tree._make_children(top, recursive=True) if depth > 1 else top.browse()
            end_of_transaction(env)
            ids = [p.id for p in chain]
            booking._rebook(ids)  # warm
            with Clock(env) as clock:
                booking._rebook(ids)
                env.flush_all()
            out(f"   {depth:6d} {len(made) + 1:4d} {clock.queries:8d} {clock.wall * 1000:8.1f}")
            undo(env, savepoint)
    out()


def main(argv=None):
    args = parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"], setup_logging=True
    )
    registry = odoo.modules.registry.Registry(args.database)
    out(f"sale_fulfilment beyond-Katana benchmark, database {args.database}")
    out(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    out()
    started = time.perf_counter()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True})
        env = env(user=env.ref("base.user_admin"))
        try:
            customer = env["res.partner"].create({"name": "Bench customer"})
            vendor = env["res.partner"].create({"name": "Bench vendor"})
            subcontractor = env["res.partner"].create({"name": "Bench subcontractor"})
            bench_defaults(env, args, customer, vendor)
            bench_promises(env, args, customer, vendor, subcontractor)
            bench_tree(env, args, customer)
        finally:
            cr.rollback()
    out(f"Everything was rolled back. Run time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
