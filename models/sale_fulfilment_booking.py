import json
import logging
import math
from collections import defaultdict
from contextlib import contextmanager

from odoo import api, models
from odoo.tools import SQL, float_round, ormcache

from .. import pool_state
from ..booking import EXPECTED, IN_STOCK, Pool, Supply, combine
from ..pg_array import pg_array
from ..vocabulary import COMPONENT_STATUSES, MAX_TREE_DEPTH, OPEN_MO_STATES, SEVERITY
from .sale_fulfilment_rebook import Busy, TooMany

_logger = logging.getLogger(__name__)
# Kits inside kits are exploded by Odoo; this bounds the search for the kits
# that share components with the products being booked.
MAX_KIT_LEVELS = 10
# A booking of a few products joins its tables in the order its queries are
# written (see _book): planning the join order cost more than running them.
# And without JIT: a product with years of done moves makes PostgreSQL expect
# its open ones by the ten thousand (it cannot tell the product's moves are
# nearly all done), past JIT's cost threshold; compiling took 4 s of a
# booking whose queries then ran in a millisecond (bench/availability.py,
# "History").
FEW_PRODUCTS = {"join_collapse_limit": 1, "from_collapse_limit": 1, "jit": "off"}
# What a done move (``m``, from ``sl`` to ``dl``) delivered of its sales line,
# as Odoo counts a line's deliveries: to a customer, less returns to refund.
SHIPPED_QTY = SQL(
    """CASE WHEN dl.usage = 'customer' AND (m.origin_returned_move_id IS NULL OR m.to_refund)
            THEN m.product_qty
            WHEN sl.usage = 'customer' AND m.to_refund
            THEN -m.product_qty
            ELSE 0 END"""
)
# What an open line was booked as.
OPEN_STATUSES = frozenset(status for status, _label in COMPONENT_STATUSES)
# {id(registry): {model: [fields to invalidate after a booking]}}
_BOOKED_DEPENDENTS = {}


class SaleFulfilmentBooking(models.AbstractModel):
    """Books stock and expected supply to open sales lines, then MO components.

    Inputs are read for a whole set of products in a constant number of
    queries, the walk itself is ``booking.Pool`` in plain Python, and results
    are written back in bulk, only where they changed, into the narrow tables
    beside the records (``fulfilment.booked.mixin``). When and under which
    locks it runs is ``sale.fulfilment.rebook``'s business.
    """

    _name = "sale.fulfilment.booking"
    _description = "Sales fulfilment booking"

    # ------------------------------------------------------------------
    # Booking
    # ------------------------------------------------------------------
    @api.model
    def _cron_rebuild(self):
        """The scheduled action's entry point (kept where the action names it)."""
        return self.env["sale.fulfilment.rebook"]._cron_rebuild()

    @api.model
    def _rebook(self, product_ids=None, kits=None):
        """Book every open line and MO component of ``product_ids`` (all if None).

        ``kits`` ({kit product id: [(component id, quantity per kit)]}) comes
        with ``product_ids`` from ``_booking_scope()``; without it, the scope
        is computed here.
        """
        if product_ids is not None and not product_ids:
            return
        # Counted by the load benchmark (bench/load.py), which logs this at DEBUG.
        _logger.debug("Full booking of %s", "every product" if product_ids is None else "products")
        self.env.flush_all()
        if kits is None:
            product_ids, kits = self._booking_scope(product_ids)
        if product_ids is not None:
            self._bump_clocks(product_ids)
        # On all products, the estimates of the correlated lookups (a
        # subcontractor's resupply) pass JIT's cost thresholds: compiling took
        # a second of a full rebuild whose queries then run in milliseconds.
        # A booking of a few products runs at the end of every transaction that
        # touches stock; there PostgreSQL spent longer choosing a join order for
        # the sales lines' query (seven tables, two aggregates: 7 ms) than
        # running it (3 ms). Each query starts from the table its product
        # filter (or ids) narrows, the order the planner picks anyway: joined
        # as written, and without JIT (FEW_PRODUCTS). A full rebuild keeps the
        # planner's free choice of join order.
        with self._planner_settings(**({"jit": "off"} if product_ids is None else FEW_PRODUCTS)):
            self._book(product_ids, kits)
        self.env["sale.fulfilment.defaults"]._after_booking(product_ids)

    def _book(self, product_ids, kits):
        pids = None
        if product_ids is not None:
            pids = SQL("ANY(%s::int[])", pg_array(sorted(product_ids)))

        def product_filter(column):
            return SQL("TRUE") if pids is None else SQL("%s = %s", SQL.identifier(*column), pids)

        lines = self._fetch_sale_demands(product_filter, kits, partial=pids is not None)
        components = self._fetch_component_demands(product_filter)
        in_stock, on_hand, chained_stock = self._fetch_on_hand(product_filter)
        supplies, expected_totals, chained_supplies, component_supplies = self._fetch_supplies(
            product_filter
        )
        rounding = self._fetch_roundings(
            {row["product_id"] for row in lines}
            | {row["product_id"] for row in components}
            | {key[0] for key in on_hand}
            | {key[0] for key in supplies}
            | {key[0] for key in expected_totals}
            | {comp for parts in kits.values() for comp, _qty in parts}
        )

        # What each pool was built from, before the adjustment below: a booking
        # of orders appended at the bottom goes on from the pool's state only
        # when these are unchanged (pool_state).
        keep_state = product_ids is not None and not kits
        inputs = {}
        if keep_state:
            inputs = self._inputs_signatures(on_hand, in_stock, expected_totals, supplies)

        # Done make-to-order output waits in stock for its own line.
        for line in lines:
            if line["mto_state"] and line["mto_waiting_qty"]:
                key = (line["product_id"], line["warehouse_id"])
                on_hand[key] = on_hand.get(key, 0.0) - line["mto_waiting_qty"]

        supply_info = {}
        # Demands as plain (id, quantity) pairs, the shape of booking.Demand:
        # 100,000 named tuples cost more than the walk itself.
        demands = defaultdict(list)
        for line in lines:
            if not line["open"] or line["mto_state"]:
                continue
            parts = kits.get(line["product_id"])
            if parts:
                # A kit books its components, in its own rank.
                for component, per_kit in parts:
                    demands[(component, line["warehouse_id"])].append(
                        ((line["id"], component), line["open_qty"] * per_kit)
                    )
                continue
            demands[(line["product_id"], line["warehouse_id"])].append(
                (line["id"], line["open_qty"])
            )
        set_aside, aside_keys = {}, set()
        if chained_stock or chained_supplies:
            set_aside, aside_keys = self._book_set_aside(
                demands, chained_stock, chained_supplies, on_hand, supplies, rounding, supply_info
            )
        component_demands = defaultdict(list)
        for move in components:
            component_demands[(move["product_id"], move["warehouse_id"])].append(
                (move["id"], move["qty"])
            )
        components_aside = {}
        if component_supplies:
            # Sub-assemblies made for their MO's components go to them first.
            components_aside, component_keys = self._book_set_aside(
                component_demands, {}, component_supplies, on_hand, supplies, rounding, supply_info
            )
            aside_keys |= component_keys

        line_results, move_results = {}, {}
        states = {}
        keys = set(demands) | set(component_demands)
        if keep_state:
            keys |= set(inputs)
            line_ranks = {line["id"]: line for line in lines}
        for key in keys:
            pool_supplies = []
            for supply in supplies.get(key, ()):
                supply_info[supply["id"]] = supply
                pool_supplies.append(Supply(supply["id"], supply["qty"], supply["date"]))
            pool = Pool(max(on_hand.get(key, 0.0), 0.0), pool_supplies, rounding[key[0]])
            key_demands = demands.get(key, ())
            for booking in pool.book(key_demands):
                first = set_aside.get(booking.key)
                if first:
                    booking = combine(first, booking, rounding[key[0]])
                line_results[booking.key] = booking
            # A pool that also serves MO components keeps no state: they book
            # after every sales line, so an appended line would change them.
            # Nor does one with stock or supplies set aside for a line: a line
            # appended with its own would book on what others share.
            if keep_state and key not in component_demands and key not in aside_keys and key[1]:
                last = line_ranks[key_demands[-1][0]] if key_demands else None
                states[key] = pool_state.dump(
                    pool,
                    last and self._line_rank(last),
                    supply_info,
                    inputs.get(key) or pool_state.inputs_signature(0.0, 0.0, 0.0, ()),
                )
            for booking in pool.book(component_demands.get(key, ())):
                first = components_aside.get(booking.key)
                if first:
                    booking = combine(first, booking, rounding[key[0]])
                move_results[booking.key] = booking

        if product_ids is None:
            self._delete_orphans()
        self._write_sale_lines(
            lines, line_results, supply_info, kits, rounding, partial=product_ids is not None
        )
        self._write_components(components, move_results, product_ids)
        self._write_figures(product_ids, lines, components, in_stock, expected_totals, kits, states)

    @staticmethod
    def _book_set_aside(
        demands, chained_stock, chained_supplies, on_hand, supplies, rounding, info
    ):
        """Book first, for each demand, the stock and supplies Odoo chained to
        its line's delivery (``_fetch_on_hand``, ``_fetch_supplies``), and
        leave only the rest of its need in ``demands``, for the pool.

        Returns ({demand key: Booking on what was set aside}, {pool that
        anything was chained from}). What was chained to a line that books
        nothing (delivered, made to order by the addon) goes back to its pool;
        ``on_hand``, ``supplies`` and ``info`` (supplies by id) are updated in
        place.
        """
        stock = defaultdict(float)
        for (line_id, pid, _wid), qty in chained_stock.items():
            stock[(line_id, pid)] += qty
        set_aside, aside_keys, used = {}, set(), set()
        for key, key_demands in demands.items():
            pid = key[0]
            for n, (demand_key, qty) in enumerate(key_demands):
                line_id = demand_key[0] if isinstance(demand_key, tuple) else demand_key
                own_stock = stock.get((line_id, pid), 0.0)
                own_supplies = chained_supplies.get((line_id, pid), ())
                if not own_stock and not own_supplies:
                    continue
                used.add((line_id, pid))
                aside_keys.add(key)
                for supply in own_supplies:
                    info[supply["id"]] = supply
                own = Pool(
                    own_stock,
                    [Supply(row["id"], row["qty"], row["date"]) for row in own_supplies],
                    rounding[pid],
                )
                first = own.take((demand_key, qty))
                set_aside[demand_key] = first
                key_demands[n] = (demand_key, first.missing)
        for (line_id, pid, wid), qty in chained_stock.items():
            aside_keys.add((pid, wid))
            if (line_id, pid) not in used:
                on_hand[(pid, wid)] = on_hand.get((pid, wid), 0.0) + qty
        for (line_id, pid), rows in chained_supplies.items():
            for row in rows:
                aside_keys.add((pid, row["warehouse_id"]))
                if (line_id, pid) not in used:
                    supplies[(pid, row["warehouse_id"])].append(row)
        return set_aside, aside_keys

    def _fetch_pool_states(self, product_ids):
        """Bump the booking clocks of ``product_ids`` (as ``_rebook`` does: the
        caller holds their locks) and return ({(product id, warehouse id):
        (committed, kept state)}, their product filter)."""
        self.env.flush_all()
        self._bump_clocks(product_ids)
        self.env.cr.execute(
            SQL(
                """
                SELECT product_id, warehouse_id, committed_qty, pool_state
                  FROM sale_fulfilment_stock WHERE product_id = ANY(%s::int[])
                """,
                pg_array(product_ids),
            )
        )
        rows = {
            (pid, wid): (committed, state) for pid, wid, committed, state in self.env.cr.fetchall()
        }
        pids = SQL("ANY(%s::int[])", pg_array(product_ids))

        def product_filter(column):
            return SQL("%s = %s", SQL.identifier(*column), pids)

        return rows, product_filter

    def _fetch_pool_inputs(self, rows, product_filter, order_ids=(), line_ids=()):
        """What the pools of a booking from their kept state are built from
        now, and the sales lines it names: (In stock, Expected, {pool: its
        inputs' signature (``pool_state.inputs_signature``)}, the lines of
        ``order_ids`` and ``line_ids``). ``rows``: the kept states
        (``_fetch_pool_states``); every pool of them has a signature."""
        with self._planner_settings(**FEW_PRODUCTS):
            in_stock, on_hand, chained_stock = self._fetch_on_hand(product_filter)
            supplies, expected, chained_supplies, component_supplies = self._fetch_supplies(
                product_filter
            )
            lines = []
            if order_ids or line_ids:
                lines = self._fetch_sale_demands(
                    product_filter,
                    partial=True,
                    order_ids=sorted(order_ids),
                    line_ids=sorted(line_ids),
                )
        signatures = self._inputs_signatures(on_hand, in_stock, expected, supplies, rows)
        # A pool with stock or supplies chained to a line keeps no state
        # (``_book``): nor does it go on from one kept before the chain.
        aside = {(pid, wid) for _line, pid, wid in chained_stock}
        aside |= {
            (row["product_id"], row["warehouse_id"])
            for chained in (chained_supplies, component_supplies)
            for rows in chained.values()
            for row in rows
        }
        for key in aside:
            signatures[key] = json.dumps([*json.loads(signatures[key]), "set aside"])
        return in_stock, expected, signatures, lines

    @staticmethod
    def _inputs_signatures(on_hand, in_stock, expected, supplies, pools=()):
        """{pool: what it is built from (``pool_state.inputs_signature``)}, for
        every pool with a figure and every one of ``pools``."""
        return {
            key: pool_state.inputs_signature(
                on_hand.get(key, 0.0),
                in_stock.get(key, 0.0),
                expected.get(key, 0.0),
                supplies.get(key, ()),
            )
            for key in set(pools) | set(on_hand) | set(in_stock) | set(supplies) | set(expected)
        }

    @api.model
    def _book_reordered(self, product_ids, spans):
        """Of ``product_ids``, whose orders were reordered in this transaction
        (``spans``: {product id: ids of the orders whose lines changed places,
        and of those in between}), return those that need nothing.

        A product's lines are booked greedily in rank order: a line that got
        nothing found its pool empty, and every line after it finds it empty
        too. When every open line of the span was Not available for want of
        anything (missing all it needs; not made to order), the pool was empty
        before the span, and it still is after the reorder, which keeps the
        lines before the span where they were: every line books what it
        booked. That is the usual drag in a backlog once stock and supplies
        are all promised. Likewise when every open line of the span got all
        it needs from stock: the stock before the span covered them all, in
        any order, and what they leave to the lines after it is the same.
        That is the usual drag at the top of the list. Either way it reads
        the span's lines, not every open line of the product; a delivered
        line takes nothing wherever it stands. The stored results count only
        when the pools' state says they are current (``pool_state.goes_on``):
        nothing else changed the product's stock or supplies since they were
        booked.

        The caller has marked only this reorder for these products and holds
        their locks; this bumps their booking clocks as ``_rebook`` does.
        """
        product_ids = sorted(product_ids)
        if not product_ids:
            return set()
        rows, product_filter = self._fetch_pool_states(product_ids)
        _in_stock, _expected, signatures, lines = self._fetch_pool_inputs(
            rows,
            product_filter,
            order_ids={oid for pid in product_ids for oid in spans.get(pid, ())},
        )
        empty = pool_state.inputs_signature(0.0, 0.0, 0.0, ())
        done = set()
        for pid in product_ids:
            keys = {key for key in signatures if key[0] == pid}
            states = {key: rows.get(key, (None, None))[1] for key in keys}
            if not all(pool_state.goes_on(states[key], signatures.get(key, empty)) for key in keys):
                continue
            # A delivered line takes nothing wherever it stands.
            span = [
                (line, states.get((pid, line["warehouse_id"])))
                for line in lines
                if line["product_id"] == pid
                and line["order_id"] in spans.get(pid, ())
                and (line["open"] or line["availability_status"] not in (None, "delivered"))
            ]
            if all(self._got_nothing(line, state) for line, state in span) or all(
                self._got_all_from_stock(line, state) for line, state in span
            ):
                done.add(pid)
        return done

    @staticmethod
    def _got_all_from_stock(line, state):
        """Whether ``line`` is stored as booked In stock, all of it from the
        stock (no supply, not made to order), as an open line of a pool with
        a kept state."""
        if not state or not line["open"] or line["mto_name"]:
            return False
        return (
            line["availability_status"] == "in_stock"
            and not line["details"]
            and abs(line["missing_qty"] or 0.0) < state["rounding"] / 2
        )

    @staticmethod
    def _got_nothing(line, state):
        """Whether ``line`` is stored as booked Not available with nothing from
        stock or supplies, as an open line of a pool with a kept state."""
        if not state or not line["open"] or line["mto_name"]:
            return False
        return (
            line["availability_status"] == "not_available"
            and not line["details"]
            and abs((line["missing_qty"] or 0.0) - line["open_qty"]) < state["rounding"] / 2
        )

    @api.model
    def _book_appended(self, product_ids, order_ids, move_ids=()):
        """Book the lines of ``order_ids``, confirmed at the bottom of the ranks
        in this transaction, and account for the sales deliveries ``move_ids``
        validated in it, for those of ``product_ids`` whose pools kept their
        state (``pool_state``); return the products booked.

        Nothing ranked above these orders changes: their lines go on from what
        the last booking left, without reading the lines above. A delivered
        line that shipped no more than it had booked from stock leaves every
        other line's result and the pool's remainder as they were
        (``pool_state``); it only needs less. A product is left to the full
        booking when any of its pools lacks a state, serves MO components,
        ranks a line after these orders, or was built from other stock or
        supplies than the state records once the deliveries are taken off;
        when one of the orders' lines was booked before or is made to order;
        when a delivered line shipped more than it had from stock, was not
        booked as open, is made to order or a kit.

        The caller has marked only these records for these products and holds
        their locks; this bumps their booking clocks as ``_rebook`` does.
        """
        product_ids = sorted(product_ids)
        if not product_ids:
            return set()
        rows, product_filter = self._fetch_pool_states(product_ids)
        shipped, unfit = self._fetch_shipped(product_filter, move_ids)
        in_stock, expected, signatures, lines = self._fetch_pool_inputs(
            rows, product_filter, order_ids, shipped
        )
        by_product = defaultdict(list)
        for line in lines:
            by_product[line["product_id"]].append(line)

        empty = pool_state.inputs_signature(0.0, 0.0, 0.0, ())
        # What the delivered lines shipped from each pool.
        taken = defaultdict(float)
        for line in lines:
            if line["id"] in shipped:
                taken[(line["product_id"], line["warehouse_id"])] += shipped[line["id"]][1]
        ready, given = set(), {}
        for pid in set(product_ids) - unfit:
            plines = by_product.get(pid, [])
            appended = [line for line in plines if line["order_id"] in order_ids]
            delivered = [line for line in plines if line["id"] in shipped]
            if any(
                line["availability_status"] or line["mto_name"] or line["id"] in shipped
                for line in appended
            ):
                continue  # booked before, or made to order: the full booking decides
            results = {
                line["id"]: self._shipped_line_result(line, shipped[line["id"]], rows)
                for line in delivered
            }
            if None in results.values() or len(delivered) != len(
                [lid for lid, (product, _qty) in shipped.items() if product == pid]
            ):
                continue
            # Every pool of the product, not only those of these lines: the
            # marks may come from a change of stock elsewhere.
            keys = {key for key in signatures if key[0] == pid}
            after = defaultdict(list)
            for line in appended:
                if line["open"]:
                    key = (pid, line["warehouse_id"])
                    keys.add(key)
                    after[key].append(line["rank_priority"])
            keys |= {(pid, line["warehouse_id"]) for line in delivered}
            if all(
                pool_state.goes_on(
                    rows.get(key, (None, None))[1], signatures.get(key, empty), taken[key]
                )
                and all(pool_state.ranks_before(rows[key][1], rank) for rank in after[key])
                # A row whose figures all come to nothing goes: the full booking's.
                and not (
                    taken[key]
                    and not after[key]
                    and abs((rows[key][0] or 0.0) - taken[key]) < 1e-9
                    and not in_stock.get(key)
                    and not expected.get(key)
                )
                for key in keys
            ):
                ready.add(pid)
                given.update(results)
        if not ready:
            return set()

        results, supply_info, changes = {}, {}, {}
        ready_lines = [line for line in lines if line["product_id"] in ready]
        for key in sorted(
            {(pid, wid) for pid, wid in rows if pid in ready}
            | {(line["product_id"], line["warehouse_id"]) for line in ready_lines}
        ):
            committed, state = rows[key]
            inputs = signatures.get(key, empty)
            key_lines = [
                line
                for line in ready_lines
                if (line["product_id"], line["warehouse_id"]) == key
                and line["open"]
                and line["order_id"] in order_ids
            ]
            if not key_lines and not taken[key] and inputs == state["inputs"]:
                continue
            pool, info = pool_state.load(state)
            supply_info.update(info)
            for booking in pool.book((line["id"], line["open_qty"]) for line in key_lines):
                results[booking.key] = booking
            last = self._line_rank(key_lines[-1]) if key_lines else None
            left = pool_state.dump(pool, last, supply_info, inputs)
            if not key_lines:
                # A bound: no line ranked before it may go on from here.
                left["rank"] = state["rank"]
            committed = (committed or 0.0) - taken[key]
            committed += sum(line["open_qty"] for line in key_lines)
            changes[key] = (committed, in_stock.get(key, 0.0), left)
        # No kit among them: the rounding is only read for kit lines.
        self._write_sale_lines(ready_lines, results, supply_info, {}, {}, partial=True, given=given)
        self.env["sale.fulfilment.stock"]._append_figures(changes)
        return ready

    def _fetch_shipped(self, product_filter, move_ids):
        """({sales line id: (product id, quantity it shipped)} by the validated
        ``move_ids``, in the product's unit, counted as ``_delivered_join``
        counts deliveries; products some of whose moves ship another product
        than their line's, a kit's component)."""
        if not move_ids:
            return {}, set()
        self.env.cr.execute(
            SQL(
                """
                SELECT m.sale_line_id, m.product_id, sol.product_id, SUM(%s)
                  FROM stock_move m
                  JOIN sale_order_line sol ON sol.id = m.sale_line_id
                  JOIN stock_location dl ON dl.id = m.location_dest_id
                  JOIN stock_location sl ON sl.id = m.location_id
                 WHERE m.id = ANY(%s::int[]) AND %s
                   AND m.state = 'done' AND NOT COALESCE(m.scrapped, FALSE)
                 GROUP BY 1, 2, 3
                """,
                SHIPPED_QTY,
                pg_array(sorted(move_ids)),
                product_filter(("m", "product_id")),
            )
        )
        shipped, unfit = {}, set()
        for line_id, product_id, line_product_id, qty in self.env.cr.fetchall():
            if product_id != line_product_id:
                unfit.add(product_id)
            shipped[line_id] = (product_id, qty)
        return shipped, unfit

    def _shipped_line_result(self, line, shipped, rows):
        """The result of a booked line that ``shipped`` (product, quantity)
        since, as a walk of every line would give it, or None when that walk
        could give anything else: the line shipped more than it had booked
        from stock, or was not booked as an open line of its own."""
        qty = shipped[1]
        state = rows.get((line["product_id"], line["warehouse_id"]), (None, None))[1]
        if (
            not state
            or line["availability_status"] not in OPEN_STATUSES
            or line["mto_name"]
            or qty < 0
        ):
            return None
        details = json.loads(line["details"]) if line["details"] else None
        if details and set(details) != {"stock", "supplies"}:
            return None
        # What the line needed when it was booked: before these deliveries.
        was_open = max(line["ordered_qty"] - (line["delivered_qty"] - qty), 0.0)
        if details:
            from_stock = details["stock"]
        elif line["availability_status"] == IN_STOCK:
            from_stock = was_open
        else:
            from_stock = was_open - (line["missing_qty"] or 0.0)
        tolerance = state["rounding"] / 2
        if qty > from_stock + tolerance or not line["storable"]:
            return None
        if not line["open"]:
            return self._line_result(line, {}, {})
        if details:
            details = {
                "stock": float_round(from_stock - qty, precision_rounding=state["rounding"]),
                "supplies": details["supplies"],
            }
        return (
            line["availability_status"],
            line["availability_date"],
            line["missing_qty"] or 0.0,
            details,
        )

    @contextmanager
    def _planner_settings(self, **settings):
        """PostgreSQL settings for the statements inside, put back after:
        ``SET LOCAL`` would last until the end of the user's transaction."""
        cr = self.env.cr
        if settings:
            cr.execute(
                SQL("; ").join(
                    SQL("SET LOCAL %s = %s", SQL.identifier(name), str(value))
                    for name, value in settings.items()
                )
            )
        yield
        # Not on an error: the transaction is aborted then, and rolling back
        # its savepoint puts the settings back.
        if settings:
            cr.execute(
                SQL("; ").join(
                    SQL("SET LOCAL %s = DEFAULT", SQL.identifier(name)) for name in settings
                )
            )

    # ------------------------------------------------------------------
    # Kits
    # ------------------------------------------------------------------
    def _booking_scope(self, product_ids):
        """(products to book, {kit product id: [(component id, quantity per kit)]}).

        A kit line (a product with a kit bill of materials, which Odoo delivers
        as its components) books its components: booking a kit books its
        components, and booking a component books the kits of open lines that
        contain it, with their other components. None stands for every product.
        """
        scope = None if product_ids is None else set(product_ids)
        kits = {}
        todo = scope
        for _level in range(MAX_KIT_LEVELS):
            found = [pid for pid in self._fetch_kit_products(todo) if pid not in kits]
            if not found:
                break
            kits.update(self._explode_kits(found))
            if scope is None:
                break
            new = ({c for pid in found for c, _q in kits.get(pid, ())} | set(found)) - scope
            if not new:
                break
            scope |= new
            todo = new
        return scope, kits

    @ormcache()
    def _kit_bom_products(self):
        """(product ids, template ids, component ids) of the active kit bills
        of materials of every company, kept until a kit's bill of materials
        changes (``mrp.bom`` and ``mrp.bom.line`` clear the cache as they mark
        its products): most companies have few kits or none, and each booking
        asked the database."""
        self.env["mrp.bom"].flush_model(["type", "active", "product_id", "product_tmpl_id"])
        self.env["mrp.bom.line"].flush_model(["bom_id", "product_id"])
        self.env.cr.execute(
            """
            SELECT b.product_id, b.product_tmpl_id, bl.product_id
              FROM mrp_bom b
              LEFT JOIN mrp_bom_line bl ON bl.bom_id = b.id
             WHERE b.type = 'phantom' AND b.active
            """
        )
        products, templates, components = set(), set(), set()
        for product_id, template_id, component_id in self.env.cr.fetchall():
            if product_id:
                products.add(product_id)
            else:
                templates.add(template_id)
            if component_id:
                components.add(component_id)
        return frozenset(products), frozenset(templates), frozenset(components)

    def _may_be_kit_related(self, product_ids):
        """False when none of ``product_ids`` is a kit or a kit's component,
        by the cached kit bills of materials: then no query is needed."""
        products, templates, components = self._kit_bom_products()
        if product_ids & (products | components):
            return True
        if not templates:
            return False
        self.env["product.product"].flush_model(["product_tmpl_id"])
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM product_product WHERE id = ANY(%s::int[])"
                " AND product_tmpl_id = ANY(%s::int[]) LIMIT 1",
                pg_array(sorted(product_ids)),
                pg_array(sorted(templates)),
            )
        )
        return bool(self.env.cr.fetchone())

    def _fetch_kit_products(self, product_ids):
        """Kit products of lines of confirmed orders, among ``product_ids`` or
        containing one of them (all when None)."""
        if product_ids is None:
            related = SQL("TRUE")
        else:
            product_ids = set(product_ids)
            if not product_ids or not self._may_be_kit_related(product_ids):
                return []
            ids = pg_array(sorted(product_ids))
            related = SQL(
                """(pp.id = ANY(%(ids)s::int[]) OR EXISTS (
                       SELECT 1 FROM mrp_bom_line bl
                        WHERE bl.bom_id = b.id AND bl.product_id = ANY(%(ids)s::int[])))""",
                ids=ids,
            )
        # From the kit bills of materials (few, often none) to their products'
        # confirmed lines: not from every line of the products, which grows
        # with the orders.
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT pp.id
                  FROM mrp_bom b
                  JOIN product_product pp
                       ON b.product_id = pp.id
                          OR (b.product_id IS NULL AND b.product_tmpl_id = pp.product_tmpl_id)
                 WHERE b.type = 'phantom' AND b.active AND %s
                   AND EXISTS (
                        SELECT 1 FROM sale_order_line sol
                          JOIN sale_order so ON so.id = sol.order_id
                         WHERE sol.product_id = pp.id AND so.state = 'sale'
                           AND sol.display_type IS NULL)
                """,
                related,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _explode_kits(self, kit_ids):
        """{kit id: [(storable component id, quantity per kit in its unit)]}, by
        Odoo's own explosion (nested kits, variants, units)."""
        products = self.env["product.product"].browse(kit_ids)
        boms = self.env["mrp.bom"]._bom_find(products, bom_type="phantom")
        kits = {}
        for product in products:
            bom = boms.get(product)
            if not bom:
                continue
            one_kit = product.uom_id._compute_quantity(1, bom.product_uom_id)
            _boms, exploded = bom.explode(product, one_kit)
            per_kit = defaultdict(float)
            for bom_line, data in exploded:
                component = bom_line.product_id
                if component.is_storable:
                    per_kit[component.id] += bom_line.product_uom_id._compute_quantity(
                        data["qty"], component.uom_id
                    )
            if per_kit:
                kits[product.id] = sorted(per_kit.items())
        return kits

    # ------------------------------------------------------------------
    # Gathering
    # ------------------------------------------------------------------
    def _delivered_join(self, product_filter, partial):
        """What each line delivered, as Odoo counts a line's deliveries: done
        moves of the line's product to customers, less returns to refund.

        A booking of a few products looks up the lines it books, one by one
        on the moves' sales-line index: summing every delivery ever made of
        the products would grow with their history. A full rebuild sums all
        done deliveries in one pass.
        """
        qty = SQL("SUM(%s)", SHIPPED_QTY)
        moves = SQL(
            """FROM stock_move m
                JOIN stock_location dl ON dl.id = m.location_dest_id
                JOIN stock_location sl ON sl.id = m.location_id
               WHERE m.state = 'done' AND NOT COALESCE(m.scrapped, FALSE)"""
        )
        if partial:
            # Only lines that say they delivered something, or count in another
            # unit than the product's (where a small delivery may round to
            # nothing): in a backlog most lines delivered nothing, and the
            # lookup of each one's moves was half the query.
            return SQL(
                """LEFT JOIN LATERAL (
                        SELECT %(qty)s AS qty %(moves)s
                           AND m.sale_line_id = sol.id AND m.product_id = sol.product_id
                           AND (sol.qty_delivered != 0 OR sol.product_uom != pt.uom_id)
                   ) dlv ON TRUE""",
                qty=qty,
                moves=moves,
            )
        return SQL(
            """LEFT JOIN (
                    SELECT m.sale_line_id, m.product_id, %(qty)s AS qty %(moves)s
                       AND m.sale_line_id IS NOT NULL AND %(filter)s
                     GROUP BY m.sale_line_id, m.product_id
               ) dlv ON dlv.sale_line_id = sol.id AND dlv.product_id = sol.product_id""",
            qty=qty,
            moves=moves,
            filter=product_filter(("m", "product_id")),
        )

    def _fetch_sale_demands(
        self, product_filter, kits=None, partial=False, order_ids=None, line_ids=None
    ):
        """Open lines in rank order, and lines whose stored status is stale
        (of ``order_ids`` and ``line_ids`` only, when either is given).

        A booking of a few products (``partial``) also reads each line's rank,
        for the state it keeps of each pool (``pool_state``).
        """
        wanted = SQL(
            """((so.state = 'sale' AND sol.display_type IS NULL
                AND pt.type = 'consu'
                AND (pt.is_storable OR sol.product_id = ANY(%s::int[]))
                AND (sol.qty_delivered < sol.product_uom_qty
                     OR a.status IS DISTINCT FROM 'delivered'))
               OR a.status IN ('in_stock', 'expected', 'not_available'))""",
            pg_array(sorted(kits or ())),
        )
        # Of a few named lines, the condition is a column, kept in Python: in
        # the WHERE clause, its OR across the line and its stored status took
        # PostgreSQL longer to plan (1.3 ms) than the whole query to run, at
        # every confirmation. Over whole products it filters their history.
        named = order_ids is not None or line_ids is not None
        self.env.cr.execute(
            SQL(
                """
                -- A line ships from its own warehouse (Odoo derives it from the
                -- line's route), else from the order's.
                SELECT sol.id, sol.order_id, sol.product_id, %(wanted_column)s
                       COALESCE(sol.warehouse_id, so.warehouse_id) AS warehouse_id,
                       so.state = 'sale' AND sol.display_type IS NULL
                           AND pt.type = 'consu'
                           AND (pt.is_storable OR sol.product_id = ANY(%(kits)s::int[]))
                           AS storable,
                       sol.product_uom_qty / lu.factor * pu.factor AS ordered_qty,
                       -- Delivered, in the product's unit, from the moves when there
                       -- are some: the line's qty_delivered is rounded in its own
                       -- unit (1 of 12 in dozens is 0.08, i.e. 0.96 unit).
                       COALESCE(dlv.qty, sol.qty_delivered / lu.factor * pu.factor)
                           AS delivered_qty,
                       a.status AS availability_status, a.date AS availability_date,
                       a.missing_qty, a.details::text AS details, %(rank)s
                       mto.open AS mto_open, mto.date AS mto_date,
                       COALESCE(mto.done_qty, 0) AS mto_done_qty, mto.names AS mto_name
                  FROM sale_order_line sol
                  JOIN sale_order so ON so.id = sol.order_id
                  JOIN product_product pp ON pp.id = sol.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN uom_uom lu ON lu.id = sol.product_uom
                  JOIN uom_uom pu ON pu.id = pt.uom_id
                  LEFT JOIN sale_fulfilment_line_availability a ON a.id = sol.id
                  %(delivered)s
                  LEFT JOIN (
                        -- Made to order down the tree: the line waits for the
                        -- latest of its MO's open sub-assemblies, named with it.
                        SELECT mp.sale_line_id,
                               BOOL_OR(mp.state != 'done') AS open,
                               MAX(GREATEST(mp.date_finished, tree.date))
                                   FILTER (WHERE mp.state != 'done') AS date,
                               SUM(mp.product_qty) FILTER (WHERE mp.state = 'done') AS done_qty,
                               STRING_AGG(mp.name || COALESCE(' (' || tree.names || ')', ''),
                                          ', ' ORDER BY mp.id) AS names
                          FROM mrp_production mp
                          LEFT JOIN LATERAL (
                                WITH RECURSIVE t(id, name, date, depth) AS (
                                    SELECT c.id, c.name, c.date_finished, 1
                                      FROM mrp_production c
                                     WHERE c.fulfilment_parent_id = mp.id
                                       AND c.state NOT IN ('done', 'cancel')
                                    UNION ALL
                                    SELECT c.id, c.name, c.date_finished, t.depth + 1
                                      FROM mrp_production c JOIN t ON c.fulfilment_parent_id = t.id
                                     WHERE c.state NOT IN ('done', 'cancel') AND t.depth < %(depth)s
                                )
                                SELECT MAX(t.date) AS date,
                                       STRING_AGG(t.name, ', ' ORDER BY t.depth, t.id) AS names
                                  FROM t
                          ) tree ON mp.state != 'done'
                         WHERE mp.fulfilment_mode = 'make_to_order'
                           AND mp.sale_line_id IS NOT NULL
                           AND mp.state != 'cancel' AND %(mto_filter)s
                         GROUP BY mp.sale_line_id
                  ) mto ON mto.sale_line_id = sol.id
                 WHERE %(filter)s AND %(orders)s AND %(wanted_filter)s
                 ORDER BY so.fulfilment_priority, so.date_order, so.id, sol.sequence, sol.id
                """,
                filter=product_filter(("sol", "product_id")),
                delivered=self._delivered_join(product_filter, partial),
                mto_filter=product_filter(("mp", "product_id")),
                depth=MAX_TREE_DEPTH,
                kits=pg_array(sorted(kits or ())),
                rank=SQL(
                    "so.fulfilment_priority AS rank_priority, so.date_order AS rank_date,"
                    " sol.sequence AS rank_sequence,"
                )
                if partial
                else SQL(),
                orders=self._lines_of(order_ids, line_ids),
                wanted_column=SQL("%s AS wanted,", wanted) if named else SQL(),
                wanted_filter=SQL("TRUE") if named else wanted,
            )
        )
        lines = self.env.cr.dictfetchall()
        if named:
            lines = [line for line in lines if line.pop("wanted")]
        for line in lines:
            line["open_qty"] = max(line["ordered_qty"] - line["delivered_qty"], 0.0)
            line["open"] = bool(line["storable"] and line["open_qty"] > 0)
            line["mto_state"] = None
            if line["open"] and line["mto_name"]:
                line["mto_state"] = "open" if line["mto_open"] else "done"
            # Made for this line, not delivered yet: in stock, but promised.
            line["mto_waiting_qty"] = min(
                line["open_qty"], max(line["mto_done_qty"] - line["delivered_qty"], 0.0)
            )
        return lines

    @staticmethod
    def _lines_of(order_ids, line_ids):
        """The condition on ``sol`` of the lines of ``order_ids`` and
        ``line_ids`` (every line when both are None), each part only when it
        names some: an empty one kept PostgreSQL from the order's index."""
        if order_ids is None and line_ids is None:
            return SQL("TRUE")
        parts = [
            SQL("%s = ANY(%s::int[])", SQL.identifier("sol", column), pg_array(sorted(ids)))
            for column, ids in (("order_id", order_ids), ("id", line_ids))
            if ids
        ]
        return SQL("(%s)", SQL(" OR ").join(parts)) if parts else SQL("FALSE")

    @staticmethod
    def _line_rank(line):
        """A line's place in the booking's order (``_fetch_sale_demands(partial=True)``)."""
        return (
            line["rank_priority"],
            line["rank_date"],
            line["order_id"],
            line["rank_sequence"],
            line["id"],
        )

    def _fetch_component_demands(self, product_filter):
        self.env.cr.execute(
            SQL(
                """
                SELECT * FROM (
                    SELECT m.id, m.raw_material_production_id AS production_id, m.product_id,
                           -- A subcontractor's component (its MO works at his
                           -- location, outside any warehouse) that Odoo resupplies:
                           -- the warehouse that sends it books it, until it has
                           -- left. Looked up only for those.
                           COALESCE(sl.warehouse_id, CASE WHEN mp.subcontractor_id IS NOT NULL
                                THEN (SELECT ol.warehouse_id
                                  FROM stock_move_move_rel r
                                  JOIN stock_move o ON o.id = r.move_orig_id
                                  JOIN stock_location ol ON ol.id = o.location_id
                                 WHERE r.move_dest_id = m.id
                                   AND o.state NOT IN ('done', 'cancel')
                                   AND ol.warehouse_id IS NOT NULL
                                 ORDER BY o.id
                                 LIMIT 1) END) AS warehouse_id,
                           m.product_qty AS qty,
                           a.status AS fulfilment_status, a.date AS fulfilment_date,
                           a.missing_qty AS fulfilment_missing_qty,
                           mp.schedule_priority, m.sequence
                      FROM stock_move m
                      JOIN mrp_production mp ON mp.id = m.raw_material_production_id
                      JOIN stock_location sl ON sl.id = m.location_id
                      LEFT JOIN sale_fulfilment_move_availability a ON a.id = m.id
                     WHERE %(open_moves)s
                       AND mp.state IN %(states)s
                ) components
                 WHERE warehouse_id IS NOT NULL
                 ORDER BY schedule_priority, production_id, sequence, id
                """,
                open_moves=self._open_moves(
                    product_filter, SQL("o.raw_material_production_id IS NOT NULL")
                ),
                states=OPEN_MO_STATES,
            )
        )
        return self.env.cr.dictfetchall()

    @staticmethod
    def _open_moves(product_filter, kind=None):
        """The condition on ``m``, a stock move, of being an open move of the
        booked products, of ``kind`` (a condition on ``o``, the same move).

        For some products, the ids of their open moves are gathered first
        (through the index of open moves): a product with a long history
        makes PostgreSQL expect thousands of open moves where there are a few
        (it cannot tell that nearly all of the product's moves are done), and
        it then joined every purchase line, MO and picking to them (30 ms of
        a save instead of 2 with 100,000 done moves, bench/availability.py,
        "History"). An array of ids is expected to be short. ``kind`` keeps
        it short when the moves asked for are few among the open ones: a
        backlog of hundreds of waiting deliveries, read again by id at every
        save only to find the product's two receipts, cost more than the
        rest of the supplies' query (bench/load.py).
        """
        products = product_filter(("o", "product_id"))
        if products == SQL("TRUE"):  # every product: the full rebuild
            return SQL("m.state NOT IN ('draft', 'done', 'cancel')")
        return SQL(
            """m.id = ANY(ARRAY(
                   SELECT o.id FROM stock_move o
                    WHERE %s AND o.state NOT IN ('draft', 'done', 'cancel') AND %s))""",
            products,
            kind or SQL("TRUE"),
        )

    def _fetch_on_hand(self, product_filter):
        """On hand per warehouse, the pool (less what is reserved for other
        than sales deliveries and MO components), and what Odoo reserved for
        a sales delivery from a supply chained to it ({(line id, product id,
        warehouse id): quantity}): that stock is its line's alone
        (``_fetch_supplies``)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT product_id, warehouse_id, line_id, move_id, SUM(on_hand), SUM(qty)
                  FROM (
                    -- Odoo leaves quants with a NULL quantity (a reservation
                    -- without stock, a count on a new location): they hold nothing.
                    SELECT q.product_id, l.warehouse_id, NULL::int AS line_id,
                           NULL::int AS move_id,
                           COALESCE(q.quantity, 0) AS on_hand, COALESCE(q.quantity, 0) AS qty
                      FROM stock_quant q
                      JOIN stock_location l ON l.id = q.location_id
                     WHERE %(quant_filter)s AND l.usage = 'internal'
                       AND l.warehouse_id IS NOT NULL
                    UNION ALL
                    SELECT ml.product_id, l.warehouse_id, m.sale_line_id,
                           CASE WHEN m.sale_line_id IS NOT NULL THEN m.id END, 0,
                           -COALESCE(ml.quantity_product_uom, 0)
                      FROM stock_move_line ml
                      JOIN stock_move m ON m.id = ml.move_id
                      JOIN stock_location l ON l.id = ml.location_id
                     WHERE %(line_filter)s AND l.usage = 'internal'
                       AND l.warehouse_id IS NOT NULL
                       -- The line's own state (Odoo keeps it as its move's)
                       -- reads the open lines only, by their index
                       -- (stock_move_line.py), not the product's history.
                       AND ml.state NOT IN ('done', 'cancel')
                       AND m.state NOT IN ('draft', 'done', 'cancel')
                       -- A sales delivery books by rank, unless Odoo chained
                       -- it to a supply (``_fetch_chained_deliveries``): only
                       -- those with an origin are read, each apart.
                       AND (m.sale_line_id IS NULL
                            OR EXISTS (SELECT 1 FROM stock_move_move_rel o
                                        WHERE o.move_dest_id = m.id))
                       AND m.raw_material_production_id IS NULL
                       -- A subcontractor's resupply: booked as his MO's component.
                       AND NOT EXISTS (
                            SELECT 1 FROM stock_move_move_rel r
                              JOIN stock_move d ON d.id = r.move_dest_id
                             WHERE r.move_orig_id = m.id
                               AND d.raw_material_production_id IS NOT NULL)
                ) stock
                 GROUP BY product_id, warehouse_id, line_id, move_id
                """,
                quant_filter=product_filter(("q", "product_id")),
                line_filter=product_filter(("ml", "product_id")),
            )
        )
        rows = self.env.cr.fetchall()
        chained_moves = self._fetch_chained_deliveries(sorted({row[3] for row in rows if row[3]}))
        in_stock, pool, chained = defaultdict(float), defaultdict(float), defaultdict(float)
        for pid, wid, line_id, move_id, on_hand, qty in rows:
            if move_id and move_id not in chained_moves:
                continue  # books by rank, as any sales delivery
            in_stock[(pid, wid)] += on_hand
            pool[(pid, wid)] += qty
            if line_id:
                chained[(line_id, pid, wid)] -= qty
        return dict(in_stock), dict(pool), dict(chained)

    def _fetch_chained_deliveries(self, move_ids):
        """Of the sales deliveries ``move_ids``, those Odoo chained to a supply
        that came in for them (Replenish on Order: a receipt, an MO's
        output), directly or through their pick: what they hold reserved is
        their line's own. A shipment after a pick from stock books by rank,
        as a picked delivery does.

        Apart from the on-hand query, and only when some reserved delivery
        has an origin (multi-step deliveries, make to order): as one of its
        conditions, PostgreSQL took longer to plan it (0.7 ms) than to run
        it, at every booking."""
        if not move_ids:
            return set()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT o.move_dest_id
                  FROM stock_move_move_rel o
                  JOIN stock_move om ON om.id = o.move_orig_id
                  JOIN stock_location ol ON ol.id = om.location_id
                 WHERE o.move_dest_id = ANY(%(moves)s::int[])
                   AND (ol.usage != 'internal'
                        OR EXISTS (
                            SELECT 1 FROM stock_move_move_rel o2
                              JOIN stock_move om2 ON om2.id = o2.move_orig_id
                              JOIN stock_location ol2 ON ol2.id = om2.location_id
                             WHERE o2.move_dest_id = om.id
                               AND ol2.usage != 'internal'))
                """,
                moves=pg_array(move_ids),
            )
        )
        return {row[0] for row in self.env.cr.fetchall()}

    def _fetch_supplies(self, product_filter):
        """Confirmed incoming moves per warehouse, the Expected totals, the
        supplies Odoo chained to a sales delivery ({(line id, product id):
        [supplies]}) and those made to order for an MO's component ({(move
        id, product id): [supplies]}).

        Output of open make-to-order MOs counts in Expected but is not in the
        pool: it is promised to its own line. So is a supply that Odoo made
        for one delivery (Replenish on Order: a purchase or an MO whose move
        feeds that delivery's): Odoo reserves it for that delivery when it
        comes, whatever the ranks, so its line books it first.
        """
        self.env.cr.execute(
            SQL(
                """
                -- A purchase receipt comes on the later of the PO line's expected
                -- arrival (the buyer's word, which Odoo does not copy to the
                -- receipt) and the receipt's scheduled date (the warehouse's).
                SELECT m.id, m.product_id, dl.warehouse_id, m.product_qty AS qty,
                       GREATEST(m.date, pol.date_planned) AS date,
                       COALESCE(po.name, mp.name, sp.name, m.reference) AS document,
                       CASE WHEN po.id IS NOT NULL THEN 'purchase.order'
                            WHEN mp.id IS NOT NULL THEN 'mrp.production'
                            WHEN sp.id IS NOT NULL THEN 'stock.picking' END AS model,
                       COALESCE(po.id, mp.id, sp.id) AS res_id,
                       mp.fulfilment_mode = 'make_to_order' AND mp.sale_line_id IS NOT NULL
                           AS promised,
                       (SELECT d.sale_line_id FROM stock_move_move_rel r
                          JOIN stock_move d ON d.id = r.move_dest_id
                         WHERE r.move_orig_id = m.id AND d.sale_line_id IS NOT NULL
                           AND d.state NOT IN ('done', 'cancel')
                         ORDER BY d.id LIMIT 1) AS chained_line,
                       -- A sub-assembly made to order for an MO (make to order
                       -- down the tree): its output is that MO's component's.
                       CASE WHEN mp.fulfilment_parent_id IS NOT NULL THEN
                           (SELECT d.id FROM stock_move d
                             WHERE d.raw_material_production_id = mp.fulfilment_parent_id
                               AND d.product_id = m.product_id
                               AND d.state NOT IN ('draft', 'done', 'cancel')
                             ORDER BY d.id LIMIT 1) END AS chained_component
                  FROM stock_move m
                  JOIN stock_location dl ON dl.id = m.location_dest_id
                  JOIN stock_location sl ON sl.id = m.location_id
                  LEFT JOIN purchase_order_line pol ON pol.id = m.purchase_line_id
                  LEFT JOIN purchase_order po ON po.id = pol.order_id
                  LEFT JOIN mrp_production mp ON mp.id = m.production_id
                  LEFT JOIN stock_picking sp ON sp.id = m.picking_id
                 WHERE %(open_moves)s
                   AND dl.usage = 'internal' AND dl.warehouse_id IS NOT NULL
                   AND (sl.usage != 'internal' OR sl.warehouse_id IS DISTINCT FROM dl.warehouse_id)
                 ORDER BY 5, m.id
                """,
                # Into a warehouse's stock: a delivery is not a supply.
                open_moves=self._open_moves(
                    product_filter,
                    SQL(
                        """o.location_dest_id IN (
                               SELECT id FROM stock_location
                                WHERE usage = 'internal' AND warehouse_id IS NOT NULL)"""
                    ),
                ),
            )
        )
        supplies, chained, components = defaultdict(list), defaultdict(list), defaultdict(list)
        expected = defaultdict(float)
        for row in self.env.cr.dictfetchall():
            key = (row["product_id"], row["warehouse_id"])
            expected[key] += row["qty"]
            row["day"] = row["date"] and str(row["date"].date())
            if row["promised"]:
                continue
            if row["chained_component"]:
                components[(row["chained_component"], row["product_id"])].append(row)
            elif row["chained_line"]:
                chained[(row["chained_line"], row["product_id"])].append(row)
            else:
                supplies[key].append(row)
        return supplies, expected, chained, components

    def _fetch_roundings(self, product_ids):
        if not product_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT pp.id, u.rounding
                  FROM product_product pp
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN uom_uom u ON u.id = pt.uom_id
                 WHERE pp.id = ANY(%s::int[])
                """,
                pg_array(sorted(product_ids)),
            )
        )
        return dict(self.env.cr.fetchall())

    # ------------------------------------------------------------------
    # Writing back
    # ------------------------------------------------------------------
    def _write_sale_lines(
        self, lines, results, supply_info, kits, rounding, partial=True, given=None
    ):
        """Write the lines' results beside them, only where they changed; a Not
        applicable line keeps no row. ``given``: results already worked out,
        {line id: (status, date, missing quantity, details)}."""
        changed, dropped, order_ids = [], [], set()
        stored = {line["id"]: line["availability_status"] for line in lines}
        given = given or {}
        for line in lines:
            if line["id"] in given:
                status, date, missing, details = given[line["id"]]
            elif line["open"] and not line["mto_state"] and line["product_id"] in kits:
                status, date, missing, details = self._kit_line_result(
                    line, kits[line["product_id"]], results, rounding
                )
            else:
                status, date, missing, details = self._line_result(line, results, supply_info)
            if status == "not_applicable":
                if line["availability_status"]:
                    dropped.append(line["id"])
                    order_ids.add(line["order_id"])
                continue
            # Written the way PostgreSQL prints jsonb, so that unchanged details
            # compare equal as text without parsing 100,000 documents.
            details_text = json.dumps(details, ensure_ascii=False) if details else None
            if (
                status != line["availability_status"]
                or date != line["availability_date"]
                or abs(missing - (line["missing_qty"] or 0.0)) > 1e-9
                or details_text != line["details"]
            ):
                changed.append((line["id"], status, date, missing, details_text))
                order_ids.add(line["order_id"])
        if not (changed or dropped):
            return
        cr = self.env.cr
        if dropped:
            cr.execute(
                SQL(
                    "DELETE FROM sale_fulfilment_line_availability WHERE id = ANY(%s::int[])",
                    pg_array(dropped),
                )
            )
        if changed:
            # Only new rows (the first booking after an import: 100,000 of
            # them): a plain insert, without checking each for a conflict. A
            # row another transaction inserted meanwhile makes it fail, and the
            # booking gives way (GIVE_WAY) as on any stale read.
            upsert = SQL(
                """ON CONFLICT (id) DO UPDATE
                   SET status = EXCLUDED.status, date = EXCLUDED.date,
                       missing_qty = EXCLUDED.missing_qty, details = EXCLUDED.details"""
            )
            if all(stored[c[0]] is None for c in changed):
                upsert = SQL()
            cr.execute(
                SQL(
                    """
                    INSERT INTO sale_fulfilment_line_availability
                           (id, status, date, missing_qty, details)
                    SELECT id, status, date, missing, details::jsonb
                      FROM unnest(%s::int[], %s::varchar[], %s::date[], %s::float8[], %s::text[])
                           AS v(id, status, date, missing, details)
                    %s
                    """,
                    *(pg_array(c[i] for c in changed) for i in range(5)),
                    upsert,
                )
            )
        self._write_orders(order_ids, partial)
        self._invalidate_booked()

    def _delete_orphans(self):
        """Rows of components consumed or cancelled since: they book nothing.

        Rows of deleted records go with them (``fulfilment.booked.row.mixin``).
        """
        self.env.cr.execute(
            """
            DELETE FROM sale_fulfilment_move_availability a
             USING stock_move m
             WHERE m.id = a.id AND m.state IN ('draft', 'done', 'cancel')
            """
        )

    def _kit_line_result(self, line, parts, results, rounding):
        """A kit line is as available as its worst component, on the latest
        component date; what is missing is counted in kits: those that the
        components booked cannot make up."""
        bookings = [(results[(line["id"], component)], per_kit) for component, per_kit in parts]
        statuses = {booking.status for booking, _per_kit in bookings}
        status = next(s for s in ("not_available", "expected", "in_stock") if s in statuses)
        dates = [b.date for b, _per_kit in bookings if b.date and b.status == EXPECTED]
        date = max(dates).date() if dates and status == EXPECTED else None
        kits_covered = min(
            (booking.demand_qty - booking.missing) / per_kit for booking, per_kit in bookings
        )
        missing = 0.0
        if status == "not_available":
            # Whole kits, as Odoo counts a kit's availability: a kit short of
            # one leg is a kit missing.
            whole = min(math.floor(kits_covered + 1e-9), line["open_qty"])
            step = rounding.get(line["product_id"]) or 0.01
            missing = round(round((line["open_qty"] - whole) / step) * step, 10)
        details = {
            "kit": [
                [
                    component,
                    booking.status,
                    booking.missing,
                    booking.date and str(booking.date.date()),
                ]
                for (component, _per_kit), (booking, _p) in zip(parts, bookings)
            ]
        }
        return status, date, missing, details

    def _line_result(self, line, results, supply_info):
        """Status, date, missing quantity and, when documents are involved, the
        details the line's explanation names (what stock alone explains is not
        stored: the status and the missing quantity say it)."""
        if not line["storable"]:
            return "not_applicable", None, 0.0, None
        if not line["open"]:
            return "delivered", None, 0.0, None
        if line["mto_state"]:
            if line["mto_state"] == "done":
                return "in_stock", None, 0.0, {"mto": line["mto_name"]}
            date = line["mto_date"] and line["mto_date"].date()
            return "expected", date, 0.0, {"mto": line["mto_name"], "date": date and str(date)}
        booking = results[line["id"]]
        if not booking.from_supply:
            return booking.status, None, booking.missing, None
        supplies = []
        for supply_id, qty, _date in booking.from_supply:
            info = supply_info[supply_id]
            supplies.append([info["document"], info["model"], info["res_id"], qty, info["day"]])
        date = booking.date.date() if booking.date and booking.status == EXPECTED else None
        return (
            booking.status,
            date,
            booking.missing,
            {"stock": booking.from_stock, "supplies": supplies},
        )

    def _write_orders(self, order_ids, partial=True):
        """An order shows the worst status of its lines and, when that is
        Expected, their latest date (a Not available order is not coming on any
        date); a Not applicable order keeps no row.

        An order may hold lines of products that another transaction is
        booking at the same moment: in a partial booking, its lock makes the
        two compute the order's status one after the other, the second seeing
        the lines the first wrote.
        """
        if not order_ids:
            return
        if partial:
            self.env["sale.fulfilment.rebook"]._lock("order", order_ids)
        ranks = SQL(
            "CASE a.status %s ELSE 0 END",
            SQL(" ").join(
                SQL("WHEN %s THEN %s", status, rank) for status, rank in SEVERITY.items()
            ),
        )
        self.env.cr.execute(
            SQL(
                """
                WITH worst AS (
                    SELECT o.id,
                           (ARRAY['not_applicable', 'not_applicable', 'delivered',
                                  'in_stock', 'expected', 'not_available'])[MAX(%(ranks)s) + 1]
                               AS status,
                           MAX(a.date) AS date
                      FROM unnest(%(ids)s::int[]) AS o(id)
                      LEFT JOIN sale_order_line sol ON sol.order_id = o.id
                      LEFT JOIN sale_fulfilment_line_availability a ON a.id = sol.id
                     GROUP BY o.id
                ), agg AS (
                    SELECT id, status, CASE WHEN status = 'expected' THEN date END AS date
                      FROM worst
                ), %(clock)s dropped AS (
                    DELETE FROM sale_fulfilment_order_availability oa USING agg
                     WHERE oa.id = agg.id AND agg.status = 'not_applicable'
                )
                INSERT INTO sale_fulfilment_order_availability AS oa (id, status, date)
                SELECT id, status, date FROM agg WHERE status != 'not_applicable'
                    ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, date = EXCLUDED.date
                 WHERE (oa.status, oa.date) IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.date)
                """,
                ranks=ranks,
                ids=pg_array(sorted(order_ids)),
                clock=self._bump_document_clocks("order_id", "sale_order") if partial else SQL(),
            ),
            # A stale snapshot fails to bump the clocks: expected, the caller
            # gives way (GIVE_WAY).
            log_exceptions=False,
        )
        self._invalidate_booked()

    def _write_components(self, components, results, product_ids):
        """Book results of MO components, then the MOs' ingredient availability."""
        changed = []
        for move in components:
            booking = results[move["id"]]
            date = booking.date.date() if booking.date and booking.status == EXPECTED else None
            if (
                booking.status != move["fulfilment_status"]
                or date != move["fulfilment_date"]
                or abs(booking.missing - (move["fulfilment_missing_qty"] or 0.0)) > 1e-9
            ):
                changed.append((move["id"], booking.status, date, booking.missing))
        cr = self.env.cr
        if changed:
            cr.execute(
                SQL(
                    """
                    INSERT INTO sale_fulfilment_move_availability (id, status, date, missing_qty)
                    SELECT * FROM unnest(%s::int[], %s::varchar[], %s::date[], %s::float8[])
                        ON CONFLICT (id) DO UPDATE
                       SET status = EXCLUDED.status, date = EXCLUDED.date,
                           missing_qty = EXCLUDED.missing_qty
                    """,
                    *(pg_array(c[i] for c in changed) for i in range(4)),
                )
            )
            self._invalidate_booked()
        self._write_productions(product_ids)

    def _write_productions(self, product_ids):
        """An MO shows the worst status of its remaining components."""
        if product_ids is None:
            scope = SQL("TRUE")
        else:
            # A semi-join on the moves' product index, not a probe per MO.
            scope = SQL(
                """(mp.product_id = ANY(%(ids)s::int[]) OR mp.id IN (
                        SELECT c.raw_material_production_id FROM stock_move c
                         WHERE c.product_id = ANY(%(ids)s::int[])
                           AND c.raw_material_production_id IS NOT NULL))""",
                ids=pg_array(sorted(product_ids)),
            )
            rebook = self.env["sale.fulfilment.rebook"]
            if not rebook._exclusive():
                # An MO's components may be booked by other transactions at the
                # same moment: its lock makes them compute its status one after
                # the other.
                self.env.cr.execute(
                    rebook._lock_sql(
                        "production",
                        None,
                        ids_sql=SQL(
                            """
                            SELECT mp.id FROM mrp_production mp
                              LEFT JOIN sale_fulfilment_production_availability pa
                                     ON pa.id = mp.id
                             WHERE (mp.state IN %(open)s OR pa.id IS NOT NULL) AND %(scope)s
                            """,
                            open=OPEN_MO_STATES,
                            scope=scope,
                        ),
                        with_ids=True,
                    )
                )
                taken, production_ids = self.env.cr.fetchone()
                if taken is None:
                    raise TooMany()
                if not taken:
                    raise Busy()
                if not production_ids:
                    # No MO makes or consumes these products (most bookings of
                    # a bought or stocked product): nothing to write.
                    return
                # The MOs the lock found, by id: searched again with the OR
                # above, PostgreSQL read every open MO's components (11 ms
                # of a booking among 5,000 open MOs, bench/availability.py).
                scope = SQL("mp.id = ANY(%s::int[])", pg_array(production_ids))
        self.env.cr.execute(
            SQL(
                """
                WITH agg AS (
                    SELECT mp.id,
                           CASE WHEN mp.state NOT IN %(open)s THEN NULL
                                WHEN mp.bom_id IS NULL AND COUNT(m.id) = 0 THEN 'no_recipe'
                                -- Components a subcontractor holds himself (not
                                -- resupplied from a warehouse) are not booked.
                                WHEN COUNT(m.id) > 0 AND COUNT(a.status) = 0 THEN NULL
                                WHEN BOOL_OR(a.status = 'not_available') THEN 'not_available'
                                WHEN BOOL_OR(a.status = 'expected') THEN 'expected'
                                ELSE 'in_stock' END AS status,
                           MAX(a.date) AS date
                      FROM mrp_production mp
                      LEFT JOIN stock_move m ON m.raw_material_production_id = mp.id
                            AND m.state NOT IN ('draft', 'done', 'cancel')
                      LEFT JOIN sale_fulfilment_move_availability a ON a.id = m.id
                      LEFT JOIN sale_fulfilment_production_availability pa ON pa.id = mp.id
                     WHERE (mp.state IN %(open)s OR pa.id IS NOT NULL)
                       AND %(scope)s
                     GROUP BY mp.id
                ), %(clock)s dropped AS (
                    DELETE FROM sale_fulfilment_production_availability pa USING agg
                     WHERE pa.id = agg.id AND agg.status IS NULL
                )
                INSERT INTO sale_fulfilment_production_availability AS pa (id, status, date)
                SELECT id, status, date FROM agg WHERE status IS NOT NULL
                    ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, date = EXCLUDED.date
                 WHERE (pa.status, pa.date) IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.date)
                """,
                open=OPEN_MO_STATES,
                scope=scope,
                clock=SQL()
                if product_ids is None
                else self._bump_document_clocks("production_id", "mrp_production"),
            ),
            # A stale snapshot fails to bump the clocks: expected, the caller
            # gives way (GIVE_WAY).
            log_exceptions=False,
        )
        self._invalidate_booked()

    def _write_figures(self, product_ids, lines, components, in_stock, expected, kits, states):
        """Replace the Stock figures of the products, one row per warehouse,
        with the state each pool was left in (``pool_state``).

        A kit line commits its components, not the kit.
        """
        committed = defaultdict(float)
        for line in lines:
            if not line["open"]:
                continue
            parts = None if line["mto_state"] else kits.get(line["product_id"])
            for product_id, per_unit in parts or [(line["product_id"], 1.0)]:
                committed[(product_id, line["warehouse_id"])] += line["open_qty"] * per_unit
        for move in components:
            committed[(move["product_id"], move["warehouse_id"])] += move["qty"]
        self.env["sale.fulfilment.stock"]._replace_figures(
            product_ids, in_stock, expected, committed, states
        )

    # ------------------------------------------------------------------
    # Bookkeeping
    # ------------------------------------------------------------------
    def _bump_clocks(self, product_ids):
        """Count one more booking of each product (all products when None).

        In a REPEATABLE READ transaction, this fails with a serialization error
        when another booking of one of them committed after the transaction's
        snapshot: the proof that what it would book is stale. That failure is
        expected (the caller gives way): it is not logged as a bad query.
        """
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO sale_fulfilment_booking_clock AS c (product_id, bookings)
                SELECT id, 1 FROM product_product WHERE %s ORDER BY id
                    ON CONFLICT (product_id) DO UPDATE SET bookings = c.bookings + 1
                """,
                SQL("TRUE")
                if product_ids is None
                else SQL("id = ANY(%s::int[])", pg_array(sorted(product_ids))),
            ),
            log_exceptions=False,
        )

    @staticmethod
    def _bump_document_clocks(column, table):
        """A CTE (with its trailing comma) counting one more booking of each
        document of ``agg``, the CTE of the statement that works out their
        statuses (``sale.fulfilment.document.clock``).

        In a REPEATABLE READ transaction it fails with a serialization error
        when another booking of one of them committed after the snapshot: the
        lines or components of its other products may have changed since.
        The caller holds the documents' locks: nobody else bumps them now.
        """
        return SQL(
            """clock AS (
                   INSERT INTO sale_fulfilment_document_clock AS c (%(column)s, bookings)
                   SELECT agg.id, 1 FROM agg JOIN %(table)s d ON d.id = agg.id
                       ON CONFLICT (%(column)s) DO UPDATE SET bookings = c.bookings + 1
               ),""",
            column=SQL.identifier(column),
            table=SQL.identifier(table),
        )

    def _booked_dependents(self):
        """{model: [field names]}: the booked fields and the non-stored fields
        whose dependencies end on one, derived once per registry."""
        registry = self.env.registry
        cached = _BOOKED_DEPENDENTS.get(id(registry))
        if cached is not None:
            return cached
        booked = {}
        for model_name in registry.descendants(["fulfilment.booked.mixin"], "_inherit"):
            model = self.env[model_name]
            if model_name != "fulfilment.booked.mixin" and not model._abstract:
                booked[model_name] = set(model._booked_fields)
        booked_names = set().union(*booked.values()) if booked else set()
        dependents = {name: set(fnames) for name, fnames in booked.items()}
        for model_name in registry:
            model = self.env[model_name]
            for fname, field in model._fields.items():
                if not field.compute or field.store:
                    continue
                depends = field.get_depends(model)[0]
                if any(path.split(".")[-1] in booked_names for path in depends):
                    dependents.setdefault(model_name, set()).add(fname)
        cached = {name: sorted(fnames) for name, fnames in dependents.items()}
        _BOOKED_DEPENDENTS[id(registry)] = cached
        return cached

    def _invalidate_booked(self):
        """Forget the cached booking results: the booked fields of every model
        that shows them, every field computed from those (through relations
        too: an outsourced PO's ingredients), and the stock figures."""
        for model_name, fnames in self._booked_dependents().items():
            self.env[model_name].invalidate_model(fnames, flush=False)
        self.env["sale.fulfilment.stock"].invalidate_model(flush=False)
        self.env["product.product"].invalidate_model(
            self.env["product.product"]._fulfilment_figure_fields(), flush=False
        )
