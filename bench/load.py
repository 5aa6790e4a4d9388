#!/usr/bin/env python3
"""Load benchmark: many users at once on Odoo, with and without sale_fulfilment.

Run it through ``bench/run_load.sh``, which builds the two databases, starts
and stops the Odoo servers and calls the steps below in order; see
``bench/LOAD.md``. The steps, each a subcommand:

    seed   -c CONF -d DB            shared seed data, through the ORM (imports odoo)
    wait   --url URL                until the server answers
    drive  --url URL --db DB ...    concurrent JSON-RPC clients, results to a JSON file
    pair   --odoo-url URL --addon-url URL ...   one client, one confirmation on each in turn
    check  -c CONF -d DB ...        stored statuses and figures against a full rebuild
    report --odoo-dir D --addon-dir D --check FILE    the table and the verdicts

Only ``seed`` and ``check`` import Odoo; the clients speak JSON-RPC over HTTP
to a loopback address, as the web client does (a session cookie,
``/web/dataset/call_kw``, ``/web/dataset/resequence``).
"""

import argparse
import datetime
import json
import math
import os
import platform
import random
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from http.cookiejar import CookieJar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import out, table, verdict

PRODUCT_CODE = "LOAD-"  # default_code prefix of the seeded products
PARTNER_REF = "LOAD-"  # ref prefix of the seeded customers
LOG_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ ")
PAGE = 20  # orders on the list page a planner reads and drags in
# The mix, per client iteration: always one confirmation; every VALIDATE_EVERY-th
# iteration also one delivery validation, every DRAG_EVERY-th also one drag.
VALIDATE_EVERY = 3
DRAG_EVERY = 5
# Targets (addon against Odoo alone).
TARGET_THROUGHPUT = 0.9  # at least
TARGET_P95 = 1.5  # at most
TARGET_SINGLE = 1.1  # at most
# Share of the machine's CPU taken by other processes above which a run is
# flagged as disturbed.
OTHER_CPU_WARNING = 0.10
# The Sales priority list of the addon: its action's domain and its order.
ADDON_LIST_DOMAIN = [
    ["state", "=", "sale"],
    ["availability_status", "in", ["in_stock", "expected", "not_available"]],
]
ADDON_LIST_ORDER = "fulfilment_priority, date_order, id"
ADDON_LIST_FIELDS = [
    "name",
    "partner_id",
    "amount_total",
    "fulfilment_priority",
    "availability_status",
    "availability_date",
]
# Odoo alone has no rank: a planner reads the confirmed orders, oldest first.
ODOO_LIST_DOMAIN = [["state", "=", "sale"]]
ODOO_LIST_ORDER = "date_order, id"
ODOO_LIST_FIELDS = ["name", "partner_id", "amount_total"]


# ----------------------------------------------------------------------
# Seed (ORM)
# ----------------------------------------------------------------------
def open_registry(config, database):
    import odoo  # noqa: PLC0415 (only the ORM steps need Odoo)

    odoo.tools.config.parse_config(
        ["-c", config, "-d", database, "--log-level=warn"], setup_logging=True
    )
    return odoo, odoo.modules.registry.Registry(database)


def cmd_seed(args):
    """The same products, stock and customers in both databases, through the
    ORM: the addon books the stock as it would after a real inventory."""
    odoo, registry = open_registry(args.config, args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if env["product.product"].search_count([("default_code", "=like", PRODUCT_CODE + "%")]):
            sys.exit(f"{args.database} is already seeded (products {PRODUCT_CODE}*)")
        env.ref("base.user_admin").password = "admin"
        products = env["product.product"].create(
            [
                {
                    "name": f"Load product {i}",
                    "default_code": f"{PRODUCT_CODE}{i:03d}",
                    "type": "consu",
                    "is_storable": True,
                    "list_price": 10.0 + i,
                }
                for i in range(1, args.products + 1)
            ]
        )
        warehouse = env["stock.warehouse"].search([("company_id", "=", env.company.id)], limit=1)
        quants = (
            env["stock.quant"]
            .with_context(inventory_mode=True)
            .create(
                [
                    {
                        "product_id": product.id,
                        "location_id": warehouse.lot_stock_id.id,
                        "inventory_quantity": args.stock,
                    }
                    for product in products
                ]
            )
        )
        quants.action_apply_inventory()
        # No phone or mobile: Odoo's stock_sms would ask before the first delivery.
        env["res.partner"].create(
            [
                {"name": f"Load customer {i}", "ref": f"{PARTNER_REF}{i}", "is_company": True}
                for i in range(1, args.customers + 1)
            ]
        )
        out(
            f"{args.database}: {args.products} products with {args.stock:g} units each in "
            f"{warehouse.lot_stock_id.display_name}, {args.customers} customers"
        )


# ----------------------------------------------------------------------
# Clients (JSON-RPC over HTTP, as the web client)
# ----------------------------------------------------------------------
class RpcError(Exception):
    """A JSON-RPC error answer, or no answer at all: an error a user sees."""


class Client:
    """One user: its own session cookie, one request at a time."""

    def __init__(self, url, timeout):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.request_id = 0
        self.context = {}

    def post(self, path, params):
        self.request_id += 1
        body = json.dumps(
            {"jsonrpc": "2.0", "method": "call", "id": self.request_id, "params": params}
        ).encode()
        request = urllib.request.Request(
            self.url + path, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                reply = json.loads(response.read())
        except (OSError, ValueError) as exc:  # refused, timed out, HTTP 5xx, not JSON
            raise RpcError(f"{type(exc).__name__}: {exc}") from exc
        if "error" in reply:
            error = reply["error"]
            data = error.get("data") or {}
            message = (data.get("message") or error.get("message") or "").strip()
            raise RpcError(
                f"{data.get('name', 'error')}: {message.splitlines()[0] if message else ''}"
            )
        return reply.get("result")

    def login(self, db, login, password):
        info = self.post(
            "/web/session/authenticate", {"db": db, "login": login, "password": password}
        )
        if not info or not info.get("uid"):
            raise RpcError(f"login {login} refused on {db}")
        self.context = dict(info.get("user_context") or {})
        company = (info.get("user_companies") or {}).get("current_company")
        if company:
            self.context["allowed_company_ids"] = [company]
        return info

    def call(self, model, method, *args, **kwargs):
        kwargs.setdefault("context", self.context)
        return self.post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )


class Recorder:
    """Latencies and errors of one phase, shared by the client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.errors = []
        self.counts = Counter()
        # When each confirmation ended (time.monotonic()), for the throughput
        # within the timed window.
        self.done_at = []

    def timed(self, op, func, *args, **kwargs):
        start = time.monotonic()
        try:
            result = func(*args, **kwargs)
        except RpcError as exc:
            with self.lock:
                self.errors.append({"op": op, "error": str(exc)})
            raise
        with self.lock:
            self.latencies[op].append(time.monotonic() - start)
        return result

    def count(self, what):
        with self.lock:
            self.counts[what] += 1


def confirm_order(client, recorder, products, partner, quantities, own):
    """Create a 2-line order and confirm it: one "confirmation"."""
    start = time.monotonic()
    order_id = recorder.timed(
        "create",
        client.call,
        "sale.order",
        "create",
        [
            {
                "partner_id": partner,
                "order_line": [
                    [0, 0, {"product_id": product, "product_uom_qty": qty}]
                    for product, qty in zip(products, quantities)
                ],
            }
        ],
    )
    order_id = order_id[0] if isinstance(order_id, list) else order_id
    recorder.timed("confirm", client.call, "sale.order", "action_confirm", [order_id])
    end = time.monotonic()
    with recorder.lock:
        recorder.latencies["confirmation"].append(end - start)
        recorder.done_at.append(end)
    own.append(order_id)


def validate_delivery(client, recorder, own):
    """Ship the oldest ready delivery of this user's own orders, as a warehouse
    user does: Validate, and on the backorder question, Create Backorder."""
    start = time.monotonic()
    found = recorder.timed(
        "validate:search",
        client.call,
        "stock.picking",
        "search_read",
        [
            ["sale_id", "in", own[-100:]],
            ["picking_type_code", "=", "outgoing"],
            ["state", "=", "assigned"],
        ],
        fields=["id"],
        limit=1,
        order="id",
    )
    if not found:
        recorder.count("validate: nothing ready")
        return
    picking_id = found[0]["id"]
    result = recorder.timed(
        "validate:button", client.call, "stock.picking", "button_validate", [picking_id]
    )
    # Partly available: Odoo asks whether to create a backorder for the rest.
    if isinstance(result, dict) and result.get("res_model") == "stock.backorder.confirmation":
        context = {**client.context, **result.get("context", {})}
        wizard = recorder.timed(
            "validate:wizard",
            client.call,
            "stock.backorder.confirmation",
            "create",
            [{}],
            context=context,
        )
        wizard = wizard[0] if isinstance(wizard, list) else wizard
        recorder.timed(
            "validate:wizard",
            client.call,
            "stock.backorder.confirmation",
            "process",
            [wizard],
            context=context,
        )
        recorder.count("validate: with backorder")
    elif isinstance(result, dict) and result.get("res_model"):
        with recorder.lock:
            recorder.errors.append(
                {"op": "validate", "error": f"unexpected wizard {result['res_model']}"}
            )
        return
    with recorder.lock:
        # The per-call latencies above are summed into one validation.
        recorder.latencies["validation"].append(time.monotonic() - start)
    recorder.count("validate: done")


def drag_order(client, recorder, mode, pick, partners):
    """A planner reads the first page of the list, filtered on the seeded
    customers (``partners``), drops one of its orders (at a place drawn from
    ``pick``, in [0, 1)) onto its top, and the list reloads. The call is the
    web client's own (``resequence`` in its relational model's utils.js):
    the moved order and the orders it passes, in their new order. Odoo alone
    has no rank field: the same resequence call is made, and Odoo's
    controller answers False without writing."""
    if mode == "addon":
        domain, order, fields = ADDON_LIST_DOMAIN, ADDON_LIST_ORDER, ADDON_LIST_FIELDS
    else:
        domain, order, fields = ODOO_LIST_DOMAIN, ODOO_LIST_ORDER, ODOO_LIST_FIELDS
    # The seeded customers' orders: the databases' demo orders (the addon's
    # rank first on its list) are not part of the load.
    domain = [*domain, ["partner_id", "in", partners]]

    def read_page():
        return client.call(
            "sale.order", "search_read", domain, fields=fields, limit=PAGE, order=order
        )

    page = [row["id"] for row in recorder.timed("list", read_page)]
    if len(page) < 2:
        return
    moved = 1 + int(pick * (len(page) - 1))
    recorder.timed(
        "drag",
        client.post,
        "/web/dataset/resequence",
        {
            "model": "sale.order",
            "ids": [page[moved], *page[:moved]],
            "field": "fulfilment_priority",
            "offset": 1,
            "context": client.context,
        },
    )
    recorder.timed("list", read_page)


def client_loop(index, args, catalogue, recorder, barrier, deadline_box):
    """One user's deterministic script: the random choices depend only on the
    phase, the seed and the client number, never on what the server answers."""
    rng = random.Random(f"{args.seed}-{args.phase}-{index}")
    client = Client(args.url, args.request_timeout)
    try:
        client.login(args.db, args.login, args.password)
    except RpcError as exc:
        with recorder.lock:
            recorder.errors.append({"op": "login", "error": str(exc)})
        barrier.abort()
        return
    products, partners = catalogue
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        return
    try:
        run_script(args, rng, client, recorder, products, partners, deadline_box)
    except Exception as exc:  # a bug of this script, not of the server: say so
        with recorder.lock:
            recorder.errors.append({"op": "client crashed", "error": repr(exc)})
        raise


def run_script(args, rng, client, recorder, products, partners, deadline_box):
    own = []
    iteration = 0
    while True:
        iteration += 1
        if args.iterations and iteration > args.iterations:
            break
        if args.duration and time.monotonic() >= deadline_box[0]:
            break
        # Every choice is drawn before any call, so that a failed call never
        # shifts the sequence of the others.
        picked = rng.sample(products, 2)
        quantities = [rng.randint(1, 3), rng.randint(1, 3)]
        partner = rng.choice(partners)
        drag_pick = rng.random()
        try:
            confirm_order(client, recorder, picked, partner, quantities, own)
        except RpcError:
            pass
        if args.mix and own and iteration % VALIDATE_EVERY == 0:
            try:
                validate_delivery(client, recorder, own)
            except RpcError:
                pass
        if args.mix and own and iteration % DRAG_EVERY == 0:
            # An order of the first page jumps to its top.
            try:
                drag_order(client, recorder, args.mode, drag_pick, partners)
            except RpcError:
                pass


def cpu_times():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat", encoding="utf-8") as stat:
        # user nice system idle iowait irq softirq steal (guest time is
        # already counted in user).
        values = [int(v) for v in stat.readline().split()[1:9]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def process_ticks(server_pid, db):
    """CPU ticks (same unit as /proc/stat) of the processes that matter, by
    (pid, start time): the Odoo server and its workers, the PostgreSQL
    backends of the database, this script. Workers that exited count in their
    parent's reaped-children ticks."""
    procs = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="utf-8") as stat:
                data = stat.read()
        except OSError:
            continue
        comm = data[data.index("(") + 1 : data.rindex(")")]
        fields = data[data.rindex(")") + 2 :].split()
        # After the name: state, ppid, ... utime (14th field of stat), stime,
        # cutime, cstime, ..., starttime (22nd).
        procs[int(name)] = {
            "ppid": int(fields[1]),
            "comm": comm,
            "own": int(fields[11]) + int(fields[12]),
            "reaped": int(fields[13]) + int(fields[14]),
            "start": fields[19],
        }
    children = defaultdict(list)
    for pid, proc in procs.items():
        children[proc["ppid"]].append(pid)
    odoo, stack = set(), [server_pid] if server_pid else []
    while stack:
        pid = stack.pop()
        if pid in procs and pid not in odoo:
            odoo.add(pid)
            stack.extend(children[pid])
    ticks = {}
    for pid, proc in procs.items():
        if pid in odoo:
            kind = "odoo"
        elif pid == os.getpid():
            kind = "clients"
        elif proc["comm"].startswith("postgres"):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    title = cmdline.read().decode(errors="replace")
            except OSError:
                continue
            # A backend's title: "postgres: <user> <database> [local] <state>".
            if f" {db} " not in title:
                continue
            kind = "postgres"
        else:
            continue
        own = proc["own"] + (proc["reaped"] if kind == "odoo" else 0)
        ticks[(pid, proc["start"])] = (kind, own)
    return ticks


def cpu_split(before, after, busy):
    """CPU seconds per kind of process between two ``process_ticks``; what the
    machine spent besides is "other" (other work skews the figures)."""
    hertz = os.sysconf("SC_CLK_TCK")
    spent = Counter()
    for key, (kind, own) in after.items():
        spent[kind] += own - before.get(key, (kind, 0))[1]
    seconds = {kind: spent[kind] / hertz for kind in ("odoo", "postgres", "clients")}
    seconds["other"] = max(0.0, busy / hertz - sum(seconds.values()))
    return seconds


def log_size(path):
    if not path:
        return 0
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def log_entries(path, offset):
    """The server's log entries written since ``offset``, each with its
    continuation lines (the SQL error under a "bad query", a traceback)."""
    if not path or not os.path.exists(path):
        return
    entry = []
    with open(path, encoding="utf-8", errors="replace") as log:
        log.seek(offset)
        for row in log:
            if LOG_START.match(row) and entry:
                yield "".join(entry)
                entry = []
            entry.append(row)
    if entry:
        yield "".join(entry)


def scan_log(path, offset):
    """What the server logged since ``offset``: transactions that failed to
    serialize and were retried (a user sees nothing unless every try fails),
    and every other error."""
    found = Counter()
    errors = []
    for entry in log_entries(path, offset):
        head = entry.split("\n", 1)[0]
        if " DEBUG " in head:
            # The addon's bookings (its loggers at DEBUG, bench/run_load.sh).
            if "gives way" in head:
                found["bookings that gave way"] += 1
            elif "Full booking of" in head:
                found["full bookings"] += 1
            continue
        if "tries left, try again" in head:
            found["retries"] += 1
        elif "maximum number of tries reached" in head:
            found["retries exhausted"] += 1
        if " WARNING " in head:
            found["logged warnings"] += 1
            if len(errors) < 8:
                errors.append(" | ".join(line.strip() for line in entry.splitlines()[:3])[:400])
            continue
        if " ERROR " not in head and " CRITICAL " not in head:
            continue
        if "could not serialize access" in entry:
            found["logged serialization failures"] += 1
        elif "deadlock detected" in entry:
            found["logged deadlocks"] += 1
        else:
            found["logged other errors"] += 1
            if len(errors) < 5:
                errors.append(" | ".join(line.strip() for line in entry.splitlines()[:4])[:400])
    return found, errors


def catalogue(client, db):
    """The seeded products and customers of ``db``, in the order of their
    codes: the same positions on both databases."""
    products = [
        row["id"]
        for row in client.call(
            "product.product",
            "search_read",
            [["default_code", "=like", PRODUCT_CODE + "%"]],
            fields=["id"],
            order="default_code",
        )
    ]
    partners = [
        row["id"]
        for row in client.call(
            "res.partner",
            "search_read",
            [["ref", "=like", PARTNER_REF + "%"]],
            fields=["id"],
            order="ref",
        )
    ]
    if len(products) < 2 or not partners:
        sys.exit(f"{db} is not seeded: run bench/run_load.sh")
    return products, partners


def cmd_drive(args):
    probe = Client(args.url, args.request_timeout)
    probe.login(args.db, args.login, args.password)
    products, partners = catalogue(probe, args.db)

    recorder = Recorder()
    # Every client logs in first; the clock starts when all are ready.
    deadline_box = [0.0]
    barrier = threading.Barrier(
        args.clients + 1,
        action=lambda: deadline_box.__setitem__(0, time.monotonic() + args.duration),
    )
    threads = [
        threading.Thread(
            target=client_loop,
            args=(i, args, (products, partners), recorder, barrier, deadline_box),
            daemon=True,
        )
        for i in range(args.clients)
    ]
    offset = log_size(args.log)
    for thread in threads:
        thread.start()
    try:
        barrier.wait(timeout=args.request_timeout)
    except threading.BrokenBarrierError:
        sys.exit(f"clients could not log in: {recorder.errors[:3]}")
    cpu_start, ticks_start, start = (
        cpu_times(),
        process_ticks(args.server_pid, args.db),
        time.monotonic(),
    )
    for thread in threads:
        # Bounded: a client stuck past its last request's timeout is left behind.
        thread.join(
            timeout=max(0.0, start + args.duration + 3 * args.request_timeout - time.monotonic())
        )
    elapsed = time.monotonic() - start
    cpu_end, ticks_end = cpu_times(), process_ticks(args.server_pid, args.db)
    time.sleep(1)  # let the server finish writing its log
    logged, log_errors = scan_log(args.log, offset)
    busy = (cpu_end[0] - cpu_start[0]) / max(1, cpu_end[1] - cpu_start[1])
    # Confirmations that ended within the timed window: a client's last
    # iteration, begun before the deadline, may end long after it (Odoo's own
    # back-off between retries sleeps up to 16 s), which stretches "elapsed"
    # by chance.
    within = sum(1 for end in recorder.done_at if end <= deadline_box[0])
    result = {
        "db": args.db,
        "mode": args.mode,
        "phase": args.phase,
        "clients": args.clients,
        "duration": args.duration,
        "iterations": args.iterations,
        "mix": args.mix,
        "elapsed": elapsed,
        "within_window": within if args.duration else len(recorder.done_at),
        "cpu_busy": busy,
        "cpu_seconds": cpu_split(ticks_start, ticks_end, cpu_end[0] - cpu_start[0]),
        "load": os.getloadavg(),
        "latencies": recorder.latencies,
        "errors": recorder.errors,
        "counts": recorder.counts,
        "log": logged,
        "log_errors": log_errors,
        "stuck_clients": sum(thread.is_alive() for thread in threads),
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    confirmations = len(recorder.latencies["confirmation"])
    out(
        f"  {args.phase}: {confirmations} confirmations in {elapsed:.1f} s "
        f"({confirmations / elapsed:.2f}/s), {len(recorder.errors)} errors, "
        f"CPU {busy:.0%} busy"
    )


def cmd_pair(args):
    """The single-client phase, paired: one user confirms an order on Odoo
    alone, then the same order on the addon's database, and so on, the first
    of each pair alternating. A machine that slows down or speeds up weighs on
    both alike, confirmation by confirmation, which rounds of 20 did not
    achieve. Writes one result file per database, shaped as ``drive``'s."""
    sides = {}
    for mode in ("odoo", "addon"):
        client = Client(getattr(args, f"{mode}_url"), args.request_timeout)
        db = getattr(args, f"{mode}_db")
        client.login(db, args.login, args.password)
        sides[mode] = {
            "client": client,
            "db": db,
            "catalogue": catalogue(client, db),
            "recorder": Recorder(),
            "own": [],
            "pid": getattr(args, f"{mode}_pid"),
            "log": getattr(args, f"{mode}_log"),
        }
    if len(sides["odoo"]["catalogue"][0]) != len(sides["addon"]["catalogue"][0]):
        sys.exit("the two databases are not seeded alike: run bench/run_load.sh")
    rng = random.Random(f"{args.seed}-{args.phase}")
    for side in sides.values():
        side["offset"] = log_size(side["log"])
        side["ticks"] = process_ticks(side["pid"], side["db"])
    cpu_start, start = cpu_times(), time.monotonic()
    for iteration in range(args.iterations):
        count = len(sides["odoo"]["catalogue"][0])
        picked = rng.sample(range(count), 2)
        quantities = [rng.randint(1, 3), rng.randint(1, 3)]
        partner = rng.randrange(len(sides["odoo"]["catalogue"][1]))
        order = ("odoo", "addon") if iteration % 2 == 0 else ("addon", "odoo")
        for mode in order:
            side = sides[mode]
            products, partners = side["catalogue"]
            try:
                confirm_order(
                    side["client"],
                    side["recorder"],
                    [products[i] for i in picked],
                    partners[partner],
                    quantities,
                    side["own"],
                )
            except RpcError:
                pass
    elapsed = time.monotonic() - start
    cpu_end = cpu_times()
    busy = (cpu_end[0] - cpu_start[0]) / max(1, cpu_end[1] - cpu_start[1])
    time.sleep(1)  # let the servers finish writing their logs
    for mode, side in sides.items():
        ticks_end = process_ticks(side["pid"], side["db"])
        logged, log_errors = scan_log(side["log"], side["offset"])
        recorder = side["recorder"]
        result = {
            "db": side["db"],
            "mode": mode,
            "phase": args.phase,
            "clients": 1,
            "duration": 0,
            "iterations": args.iterations,
            "mix": False,
            "paired": True,
            "elapsed": elapsed,
            "within_window": len(recorder.done_at),
            "cpu_busy": busy,
            "cpu_seconds": cpu_split(side["ticks"], ticks_end, cpu_end[0] - cpu_start[0]),
            "load": os.getloadavg(),
            "latencies": recorder.latencies,
            "errors": recorder.errors,
            "counts": recorder.counts,
            "log": logged,
            "log_errors": log_errors,
            "stuck_clients": 0,
        }
        with open(getattr(args, f"{mode}_out"), "w", encoding="utf-8") as handle:
            json.dump(result, handle)
        values = recorder.latencies["confirmation"]
        out(
            f"  {args.phase}, {mode}: {len(values)} confirmations, median "
            f"{statistics.median(values) * 1000 if values else 0:.0f} ms, "
            f"{len(recorder.errors)} errors"
        )


def cmd_wait(args):
    """Until /web/health answers, or the timeout."""
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                args.url.rstrip("/") + "/web/health", timeout=5
            ) as response:
                if response.status == 200:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.5)
    sys.exit(f"no answer from {args.url} within {args.timeout} s")


# ----------------------------------------------------------------------
# Check against a full rebuild (ORM, addon database only)
# ----------------------------------------------------------------------
# The booking's results: the side tables and the stock figures. Stock rows are
# keyed by product and warehouse (their id is a sequence, rebuilt rows get new
# ones); bookkeeping columns are not results.
RESULT_TABLES = {
    "sale_fulfilment_line_availability": ("id",),
    "sale_fulfilment_order_availability": ("id",),
    "sale_fulfilment_move_availability": ("id",),
    "sale_fulfilment_production_availability": ("id",),
    "sale_fulfilment_stock": ("product_id", "warehouse_id"),
}
# pool_state is the booking's own bookkeeping (what it left of each pool), not
# a result: a full rebuild clears it.
NOT_RESULTS = {"id", "create_uid", "create_date", "write_uid", "write_date", "pool_state"}


def normalize(value):
    """Comparable values: floats to 6 decimals, JSON documents as sorted text."""
    if isinstance(value, float):
        return round(value, 6) + 0.0  # -0.0 == 0.0 but prints differently
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def snapshot(cr):
    tables = {}
    for name, key in RESULT_TABLES.items():
        cr.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "ORDER BY ordinal_position",
            [name],
        )
        columns = [c for (c,) in cr.fetchall() if c not in NOT_RESULTS or c in key]
        if not columns:
            tables[name] = None  # no such table in this version of the addon
            continue
        cr.execute(f'SELECT {", ".join(columns)} FROM "{name}"')  # names from the catalogue
        rows = {}
        for row in cr.dictfetchall():
            rows[tuple(row[k] for k in key)] = {
                c: json.dumps(normalize(v), sort_keys=True, default=str)
                for c, v in row.items()
                if c not in key
            }
        tables[name] = rows
    return tables


def diff(before, after):
    """Per table: rows only stored, rows only in the rebuild, rows that differ."""
    result = {}
    for name in RESULT_TABLES:
        old, new = before[name], after[name]
        if old is None or new is None:
            result[name] = None
            continue
        extra = sorted(set(old) - set(new))
        missing = sorted(set(new) - set(old))
        changed = sorted(k for k in set(old) & set(new) if old[k] != new[k])
        examples = []
        for key in extra[:3]:
            examples.append(f"{key}: stored {old[key]}, gone after rebuild")
        for key in missing[:3]:
            examples.append(f"{key}: not stored, rebuild gives {new[key]}")
        for key in changed[:6]:
            cols = [c for c in new[key] if old[key].get(c) != new[key][c]]
            examples.append(
                f"{key}: " + "; ".join(f"{c} {old[key].get(c)} -> {new[key][c]}" for c in cols)
            )
        result[name] = {
            "rows": len(old),
            "extra": len(extra),
            "missing": len(missing),
            "changed": len(changed),
            "examples": examples,
        }
    return result


# The in-place full rebuild, best first: the rebuild the addon documents as
# "book everything in the current transaction" where it has one, else the raw
# full booking.
REBUILDS = (
    ("sale.fulfilment.rebook", "_rebuild", ()),
    ("sale.fulfilment.booking", "_rebuild", ()),
    ("sale.fulfilment.booking", "_rebook", (None,)),
)


def find_rebuild(env, wanted):
    for model, name, args in REBUILDS:
        label = f"env[{model!r}].{name}({', '.join(map(repr, args))})"
        if wanted not in ("auto", f"{model}.{name}"):
            continue
        if model in env and hasattr(env[model], name):
            method = getattr(env[model], name)
            doc = (getattr(type(env[model]), name).__doc__ or "").strip().splitlines()
            return label, (lambda method=method, args=args: method(*args)), doc[:1]
    sys.exit(f"no full rebuild found ({wanted})")


def cmd_check(args):
    odoo, registry = open_registry(args.config, args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        label, rebuild, doc = find_rebuild(env, args.rebuild)
        cr.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_name LIKE 'sale\\_fulfilment\\_%%' AND table_schema = 'public' "
            "ORDER BY table_name"
        )
        # Other tables of the addon, with their rows: a queue of products
        # still to re-book would explain differences.
        others = {}
        for (name,) in cr.fetchall():
            if name not in RESULT_TABLES:
                cr.execute(f'SELECT count(*) FROM "{name}"')  # names from the catalogue
                others[name] = cr.fetchone()[0]
        cr.execute("SELECT state, count(*) FROM sale_order GROUP BY state ORDER BY state")
        orders = dict(cr.fetchall())
        before = snapshot(cr)
        start = time.monotonic()
        returned = rebuild()
        env.flush_all()
        rebuild_time = time.monotonic() - start
        after = snapshot(cr)
        cr.rollback()
    differences = diff(before, after)
    result = {
        "method": label,
        "doc": doc[0] if doc else "",
        "returned": repr(returned),
        "rebuild_time": rebuild_time,
        "differences": differences,
        "other_tables": others,
        "orders": orders,
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    total = sum(
        d["extra"] + d["missing"] + d["changed"] for d in differences.values() if d is not None
    )
    out(
        f"  check: {total} differences from a full rebuild, {label} returned {returned!r} "
        f"({rebuild_time:.2f} s, rolled back)"
    )


# ----------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------
def load_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def p95(values):
    """Nearest-rank 95th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def ms(value):
    return "-" if value is None else f"{value * 1000:.0f}"


def ratio(a, b):
    return None if not a or not b else a / b


def fmt_ratio(value):
    return "-" if value is None else f"{value:.2f}"


def stats(run, op):
    values = run["latencies"].get(op) or []
    if not values:
        return None, None, 0
    return statistics.median(values), p95(values), len(values)


def machine_lines():
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for row in cpuinfo:
                if row.startswith("model name"):
                    model = row.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return [
        ("date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("CPUs", f"{len(os.sched_getaffinity(0))} ({model})"),
        ("Python", platform.python_version()),
    ]


def merge_runs(parts):
    """One phase measured in rounds (``multi-1.json``, ``multi-2.json``...,
    alternating with the other database) as one run: latencies, errors and
    log findings put together, counts, seconds and CPU time added up."""

    def merge(values):
        first = values[0]
        if isinstance(first, dict):
            keys = dict.fromkeys(k for v in values for k in v)
            return {k: merge([v[k] for v in values if k in v]) for k in keys}
        if isinstance(first, list):
            return [item for v in values for item in v]
        if isinstance(first, (int, float)) and not isinstance(first, bool):
            return sum(values)
        return first

    run = merge(parts)
    elapsed = [part["elapsed"] for part in parts]
    # CPU busy, and the load, weighted by each round's time: not added up.
    run["cpu_busy"] = sum(p["cpu_busy"] * e for p, e in zip(parts, elapsed)) / sum(elapsed)
    run["load"] = parts[-1]["load"]
    run["clients"] = parts[0]["clients"]
    run["rounds"] = len(parts)
    return run


def load_phase(folder, phase):
    rounds = sorted(
        name
        for name in os.listdir(folder)
        if name.startswith(phase + "-") and name.endswith(".json")
    )
    names = rounds or [f"{phase}.json"]
    return merge_runs([load_json(os.path.join(folder, name)) for name in names])


def cmd_report(args):
    runs = {}
    for label, folder in (("odoo", args.odoo_dir), ("addon", args.addon_dir)):
        runs[label] = {phase: load_phase(folder, phase) for phase in ("warmup", "single", "multi")}
    check = load_json(args.check) if args.check and os.path.exists(args.check) else None
    multi = {label: runs[label]["multi"] for label in runs}
    single = {label: runs[label]["single"] for label in runs}

    out()
    out("sale_fulfilment load benchmark: Odoo alone against Odoo with the addon")
    out()
    for name, value in machine_lines():
        out(f"{name + ':':<10} {value}")
    if args.addon_version:
        out(f"{'addon:':<10} {args.addon_version}")
    m = multi["odoo"]
    out(
        f"{'run:':<10} {m['clients']} clients for {m['duration']:g} s per database "
        f"({m['rounds']} rounds, alternating with the other database), "
        f"{args.workers} workers, {args.products} products of {args.stock:g} units; "
        f"each iteration 1 confirmation, every {VALIDATE_EVERY}rd a delivery, "
        f"every {DRAG_EVERY}th a drag; single client: {single['odoo']['iterations']} "
        + (
            "confirmations on each database, one on each in turn"
            if single["odoo"].get("paired")
            else f"confirmations ({single['odoo']['rounds']} rounds, alternating)"
        )
    )
    out()

    def throughput_to_last(run):
        return len(run["latencies"].get("confirmation") or []) / run["elapsed"]

    def throughput(run):
        """Confirmations that ended within the timed window, per second of it
        (runs from before the window's count: all of them, per second
        elapsed)."""
        if "within_window" in run and run.get("duration"):
            return run["within_window"] / run["duration"]
        return throughput_to_last(run)

    rows = []
    thr = {label: throughput(multi[label]) for label in multi}
    for label, measure in (
        ("confirmations/s (ended within the timed window)", throughput),
        ("confirmations/s (all, until the last client stopped)", throughput_to_last),
    ):
        value = {side: measure(multi[side]) for side in multi}
        rows.append(
            [
                label,
                f"{value['odoo']:.2f}",
                f"{value['addon']:.2f}",
                fmt_ratio(ratio(value["addon"], value["odoo"])),
            ]
        )
    rows.append(
        [
            "confirmations (count)",
            len(multi["odoo"]["latencies"].get("confirmation") or []),
            len(multi["addon"]["latencies"].get("confirmation") or []),
            "",
        ]
    )
    for op, label in (
        ("confirmation", "confirmation (create + confirm)"),
        ("create", "  create"),
        ("confirm", "  action_confirm"),
        ("validation", "delivery validation"),
        ("drag", "drag (resequence; Odoo: no-op)"),
        ("list", "list page read"),
    ):
        o, a = stats(multi["odoo"], op), stats(multi["addon"], op)
        rows.append(
            [
                f"{label} median ms (n)",
                f"{ms(o[0])} ({o[2]})",
                f"{ms(a[0])} ({a[2]})",
                fmt_ratio(ratio(a[0], o[0])),
            ]
        )
        rows.append([f"{label} p95 ms", ms(o[1]), ms(a[1]), fmt_ratio(ratio(a[1], o[1]))])
    for what in ("validate: done", "validate: with backorder", "validate: nothing ready"):
        rows.append(
            [what, multi["odoo"]["counts"].get(what, 0), multi["addon"]["counts"].get(what, 0), ""]
        )
    errors = {label: len(multi[label]["errors"]) for label in multi}
    rows.append(["user-visible errors", errors["odoo"], errors["addon"], ""])
    for what, label in (
        ("retries", "server: requests retried (concurrency)"),
        ("retries exhausted", "server: requests out of tries"),
        ("logged serialization failures", "server log: serialization failures"),
        ("logged deadlocks", "server log: deadlocks"),
        ("logged other errors", "server log: other errors"),
        ("logged warnings", "server log: warnings"),
        ("bookings that gave way", "addon: bookings that gave way (done after the commit)"),
        ("full bookings", "addon: full bookings (every line of their products)"),
    ):
        rows.append(
            [
                label,
                multi["odoo"]["log"].get(what, 0),
                multi["addon"]["log"].get(what, 0),
                "",
            ]
        )
    rows.append(
        [
            "machine CPU busy",
            f"{multi['odoo']['cpu_busy']:.0%}",
            f"{multi['addon']['cpu_busy']:.0%}",
            "",
        ]
    )

    def server_cpu(run):
        """Odoo + PostgreSQL CPU ms per confirmation (the whole mix's work)."""
        done = len(run["latencies"].get("confirmation") or [])
        seconds = run["cpu_seconds"]
        return (seconds["odoo"] + seconds["postgres"]) / done if done else None

    for kind, label in (
        ("odoo", "CPU s: Odoo server and workers"),
        ("postgres", "CPU s: PostgreSQL (this database)"),
        ("clients", "CPU s: the clients"),
        ("other", "CPU s: other processes"),
    ):
        rows.append(
            [
                label,
                f"{multi['odoo']['cpu_seconds'][kind]:.1f}",
                f"{multi['addon']['cpu_seconds'][kind]:.1f}",
                "",
            ]
        )
    cpu = {label: server_cpu(multi[label]) for label in multi}
    rows.append(
        [
            "server CPU ms per confirmation",
            ms(cpu["odoo"]),
            ms(cpu["addon"]),
            fmt_ratio(ratio(cpu["addon"], cpu["odoo"])),
        ]
    )
    s = {label: stats(single[label], "confirmation") for label in single}
    rows.append(
        [
            "single client: confirmation median ms",
            ms(s["odoo"][0]),
            ms(s["addon"][0]),
            fmt_ratio(ratio(s["addon"][0], s["odoo"][0])),
        ]
    )
    rows.append(
        [
            "single client: confirmation p95 ms",
            ms(s["odoo"][1]),
            ms(s["addon"][1]),
            fmt_ratio(ratio(s["addon"][1], s["odoo"][1])),
        ]
    )
    cpu = {label: server_cpu(single[label]) for label in single}
    rows.append(
        [
            "single client: server CPU ms per confirmation",
            ms(cpu["odoo"]),
            ms(cpu["addon"]),
            fmt_ratio(ratio(cpu["addon"], cpu["odoo"])),
        ]
    )
    single_errors = {label: len(single[label]["errors"]) for label in single}
    rows.append(["single client: errors", single_errors["odoo"], single_errors["addon"], ""])
    elapsed = f"{multi['odoo']['elapsed']:.0f} s / {multi['addon']['elapsed']:.0f} s"
    out(f"{multi['odoo']['clients']} concurrent clients ({elapsed}):")
    table(["", "Odoo alone", "with addon", "addon/odoo"], rows)

    for label in ("odoo", "addon"):
        for phase in ("warmup", "single", "multi"):
            run = runs[label][phase]
            if run["errors"]:
                out()
                out(f"User-visible errors, {label}, {phase} phase:")
                for (op, error), count in Counter(
                    (e["op"], e["error"]) for e in run["errors"]
                ).most_common(8):
                    out(f"  {count:>4} x {op}: {error}")
            if run["log_errors"]:
                out()
                out(
                    f"Server log warnings and errors (other than serialization failures), "
                    f"{label}, {phase} phase (first {len(run['log_errors'])}):"
                )
                for row in run["log_errors"]:
                    out(f"  {row}")

    out()
    total_diff = None
    if check:
        out(
            f"Stored statuses and figures against a full rebuild ({check['method']}, "
            f"{check['rebuild_time']:.2f} s, returned {check['returned']}, rolled back):"
        )
        if check["doc"]:
            out(f'  "{check["doc"]}"')
        rows = []
        total_diff = 0
        for name, d in check["differences"].items():
            if d is None:
                rows.append([name, "no such table", "", "", ""])
                continue
            total_diff += d["extra"] + d["missing"] + d["changed"]
            rows.append([name, d["rows"], d["changed"], d["missing"], d["extra"]])
        table(["table", "stored rows", "differ", "missing", "extra"], rows)
        for name, d in check["differences"].items():
            for example in (d or {}).get("examples", []):
                out(f"  {name}: {example}")
        if check["other_tables"]:
            out(
                "other sale_fulfilment tables (rows): "
                + ", ".join(f"{k} {v}" for k, v in check["other_tables"].items())
            )
        out("orders by state: " + ", ".join(f"{k} {v}" for k, v in check["orders"].items()))
    else:
        out("Comparison with a full rebuild: NOT RUN (see the messages above)")

    for label in ("odoo", "addon"):
        run = multi[label]
        share = run["cpu_seconds"]["other"] / max(
            1e-9, run["elapsed"] * len(os.sched_getaffinity(0))
        )
        if share > OTHER_CPU_WARNING:
            out()
            out(
                f"WARNING: other processes took {share:.0%} of the machine's CPU during the "
                f"{label} run: its figures are skewed; run again on a quiet machine."
            )
    out()
    out("Targets (addon against Odoo alone):")
    thr_ratio = ratio(thr["addon"], thr["odoo"])
    p95_ratio = ratio(
        stats(multi["addon"], "confirmation")[1], stats(multi["odoo"], "confirmation")[1]
    )
    single_ratio = ratio(s["addon"][0], s["odoo"][0])
    all_errors = sum(len(runs["addon"][p]["errors"]) for p in ("warmup", "single", "multi"))
    rows = [
        [
            "throughput ratio",
            fmt_ratio(thr_ratio),
            f">= {TARGET_THROUGHPUT}",
            verdict(thr_ratio is not None and thr_ratio >= TARGET_THROUGHPUT),
        ],
        [
            "confirmation p95 ratio",
            fmt_ratio(p95_ratio),
            f"<= {TARGET_P95}",
            verdict(p95_ratio is not None and p95_ratio <= TARGET_P95),
        ],
        [
            "single-client latency ratio",
            fmt_ratio(single_ratio),
            f"<= {TARGET_SINGLE}",
            verdict(single_ratio is not None and single_ratio <= TARGET_SINGLE),
        ],
        [
            "user-visible errors with the addon (all phases)",
            all_errors,
            "0",
            verdict(all_errors == 0),
        ],
        [
            "differences from a full rebuild",
            "-" if total_diff is None else total_diff,
            "0",
            verdict(total_diff == 0),
        ],
    ]
    table(["target", "measured", "target", "verdict"], rows, align=["<", ">", ">", "<"])
    missed = [row[0] for row in rows if row[3] != "ok"]
    out()
    out("MISSED: " + ", ".join(missed) if missed else "All targets met.")


# ----------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    seed = sub.add_parser("seed", help="seed data through the ORM")
    seed.add_argument("-c", "--config", required=True)
    seed.add_argument("-d", "--database", required=True)
    seed.add_argument("--products", type=int, default=6)
    seed.add_argument("--stock", type=float, default=100.0, help="units on hand per product")
    seed.add_argument("--customers", type=int, default=3)

    wait = sub.add_parser("wait", help="wait until the server answers")
    wait.add_argument("--url", required=True)
    wait.add_argument("--timeout", type=float, default=90)

    drive = sub.add_parser("drive", help="run the clients of one phase")
    drive.add_argument("--url", required=True)
    drive.add_argument("--db", required=True)
    drive.add_argument("--mode", choices=("odoo", "addon"), required=True)
    drive.add_argument("--phase", required=True, help="a name, also part of the random seed")
    drive.add_argument("--clients", type=int, default=6)
    drive.add_argument("--duration", type=float, default=0, help="seconds (0: --iterations)")
    drive.add_argument("--iterations", type=int, default=0, help="per client (0: --duration)")
    drive.add_argument("--mix", action="store_true", help="deliveries and drags besides orders")
    drive.add_argument("--seed", type=int, default=1)
    drive.add_argument("--login", default="admin")
    drive.add_argument("--password", default="admin")
    drive.add_argument("--request-timeout", type=float, default=120)
    drive.add_argument("--server-pid", type=int, help="the Odoo server, to measure its CPU")
    drive.add_argument("--log", help="the server's log file, scanned for retries and errors")
    drive.add_argument("--out", required=True)

    pair = sub.add_parser(
        "pair", help="the single-client phase, one confirmation on each database in turn"
    )
    for mode in ("odoo", "addon"):
        pair.add_argument(f"--{mode}-url", required=True)
        pair.add_argument(f"--{mode}-db", required=True)
        pair.add_argument(f"--{mode}-pid", type=int, help="its Odoo server, to measure its CPU")
        pair.add_argument(f"--{mode}-log", help="its server's log file")
        pair.add_argument(f"--{mode}-out", required=True)
    pair.add_argument("--phase", required=True, help="a name, also part of the random seed")
    pair.add_argument("--iterations", type=int, required=True, help="confirmations per database")
    pair.add_argument("--seed", type=int, default=1)
    pair.add_argument("--login", default="admin")
    pair.add_argument("--password", default="admin")
    pair.add_argument("--request-timeout", type=float, default=120)

    check = sub.add_parser("check", help="stored results against a full rebuild")
    check.add_argument("-c", "--config", required=True)
    check.add_argument("-d", "--database", required=True)
    check.add_argument(
        "--rebuild",
        default="auto",
        choices=["auto"] + [f"{model}.{name}" for model, name, _args in REBUILDS],
        help="the full rebuild to compare with (auto: the first that exists)",
    )
    check.add_argument("--out", required=True)

    report = sub.add_parser("report", help="print the table and the verdicts")
    report.add_argument("--odoo-dir", required=True)
    report.add_argument("--addon-dir", required=True)
    report.add_argument("--check")
    report.add_argument("--workers", type=int, default=4)
    report.add_argument("--addon-version", help="which code of the addon ran (a commit)")
    report.add_argument("--products", type=int, default=6)
    report.add_argument("--stock", type=float, default=100.0)
    args = parser.parse_args(argv)
    if args.command == "drive" and not (args.duration or args.iterations):
        parser.error("drive needs --duration or --iterations")
    return args


def main(argv=None):
    args = parse_args(argv)
    {
        "seed": cmd_seed,
        "wait": cmd_wait,
        "drive": cmd_drive,
        "pair": cmd_pair,
        "check": cmd_check,
        "report": cmd_report,
    }[args.command](args)


if __name__ == "__main__":
    main()
