import logging
import random
import time
from collections import defaultdict
from functools import partial

from psycopg2 import Error as DatabaseError
from psycopg2 import errorcodes

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, OrderedSet, float_compare
from odoo.tools.sql import create_index

from ..pg_array import pg_array
from ..vocabulary import (
    ASSIGNING_CONTEXT,
    COMPONENT_STATUSES,
    CONFIRMING_CONTEXT,
    RESERVE_NOW_CONTEXT,
    TRUSTED,
    trusted,
)
from .fulfilment_booked_mixin import booked_search
from .sale_fulfilment_rebook import APPENDED, CHECKED, DELIVERED, OTHER

# What reserving, unreserving or splitting a sales delivery writes of its
# booking inputs: none of it moves a status (the booking decides between
# deliveries, the pool counts only other reservations, and a line's open
# quantity comes from what it delivered); what the pools are built from is
# checked by the booking that goes on from their state.
CHECKED_VALS = frozenset({"quantity", "state", "product_uom_qty", "product_qty", "date"})
# What validating a sales delivery writes: the delivered quantity is checked
# against what the line booked from stock (``_book_appended``).
DELIVERED_VALS = frozenset({"state", "date"})

_logger = logging.getLogger(__name__)

# Another transaction reserved or moved the same stock after this one began
# (Odoo locks the quant it changes, and a quant changed since the snapshot
# cannot be locked): the reservation is made again after the commit.
RESERVATION_CONFLICTS = frozenset({errorcodes.SERIALIZATION_FAILURE, errorcodes.DEADLOCK_DETECTED})
RESERVE_AFTER_COMMIT_KEY = "sale_fulfilment.reserve_after_commit"
RESERVE_AFTER_COMMIT_TRIES = 5


def reserve_after_commit(registry, uid, context, move_ids):
    """Postcommit hook: reserve ``move_ids``, whose reservation in the user's
    transaction collided with another's, in transactions of their own.

    Each try starts a new snapshot, right before reserving: a collision is
    then rare, and tried again. The user's save is done: nothing here reaches
    him as an error; moves still waiting after the last try are reserved by
    the next Check Availability or the scheduler's reservation run.
    """
    context = {**context, RESERVE_NOW_CONTEXT: TRUSTED}
    for attempt in range(1, RESERVE_AFTER_COMMIT_TRIES + 1):
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, uid, context)
                env["stock.move"].browse(sorted(move_ids)).exists()._action_assign()
            return
        except DatabaseError as error:
            if error.pgcode in RESERVATION_CONFLICTS and attempt < RESERVE_AFTER_COMMIT_TRIES:
                time.sleep(random.uniform(0.0, 0.05 * 2**attempt))
                continue
            _logger.warning(
                "Reservation of moves %s left to the scheduler: %s", sorted(move_ids), error
            )
            return
        except Exception:  # the user's commit is done: log, never raise
            _logger.exception("Reservation of moves %s left to the scheduler", sorted(move_ids))
            return


# Dropped by the uninstall hook (hooks.py).
OPEN_MOVES_INDEX = "sale_fulfilment_stock_move_open_product_index"
# What ``_fulfilment_other_ranked()`` reads of the moves.
RANKED_MOVE_FIELDS = [
    "product_id",
    "state",
    "picked",
    "sale_line_id",
    "priority",
    "raw_material_production_id",
    "move_orig_ids",
]


class StockMove(models.Model):
    _name = "stock.move"
    _inherit = ["stock.move", "fulfilment.booked.mixin", "fulfilment.booking.trigger.mixin"]
    _booked_model = "sale.fulfilment.move.availability"
    _booked_fields = {
        "fulfilment_status": ("status", None),
        "fulfilment_date": ("date", None),
        "fulfilment_missing_qty": ("missing_qty", 0.0),
    }
    _booking_inputs = frozenset(
        {
            "state",
            "product_id",
            "product_uom_qty",
            "product_qty",
            "product_uom",
            "date",
            "location_id",
            "location_dest_id",
            "quantity",
            "sale_line_id",
            "production_id",
            "raw_material_production_id",
            "purchase_line_id",
        }
    )

    def init(self):
        res = super().init()
        # Every booking and reservation reads its products' open moves
        # (supplies, components, deliveries waiting). Odoo's indexes on
        # product_id and state also hold every done move of the product's
        # history, which only grows; open moves stay few.
        create_index(
            self.env.cr,
            OPEN_MOVES_INDEX,
            self._table,
            ["product_id"],
            where="state NOT IN ('draft', 'done', 'cancel')",
        )
        return res

    def _booking_mark_kinds(self, vals=None, created=False):
        """Moves of orders appended at the bottom of the ranks are theirs; a
        sales delivery reserved, split or created open moves no status; one
        validated is DELIVERED (noted, for ``_book_appended``)."""
        rebook = self.env["sale.fulfilment.rebook"]
        appended = rebook._appended_orders()
        mine = self.browse()
        if appended:
            # sudo: a warehouse user may move the deliveries of orders he may
            # not read; only the order's id is compared, nothing is returned.
            mine = self.browse(
                move.id for move in self.sudo() if move.sale_line_id.order_id.id in appended
            )
        if vals is None and not created:
            return {APPENDED: mine, OTHER: self - mine}
        deliveries = (self - mine).filtered(
            lambda move: (
                move.sale_line_id and not move.production_id and not move.raw_material_production_id
            )
        )
        checked = delivered = self.browse()
        inputs = set() if created else self._booking_inputs.intersection(vals)
        state = None if created else vals.get("state")
        if inputs <= CHECKED_VALS and state not in ("done", "cancel"):
            checked = deliveries.filtered(lambda move: move.state not in ("done", "cancel"))
        elif inputs <= DELIVERED_VALS and state == "done":
            delivered = deliveries
            rebook._note_delivered_moves(delivered.ids)
        return {
            APPENDED: mine,
            CHECKED: checked,
            DELIVERED: delivered,
            OTHER: self - mine - checked - delivered,
        }

    # Kept beside the move (fulfilment.booked.mixin), yet searchable, sortable
    # and groupable like stored fields.
    fulfilment_status = fields.Selection(
        COMPONENT_STATUSES,
        string="Booked",
        compute="_compute_booked_fields",
        search="_search_fulfilment_status",
        help="For a component of a manufacturing order: what it booked, after the sales "
        "lines and the manufacturing orders ranked before it.",
    )
    fulfilment_date = fields.Date(
        string="Booked supply on",
        compute="_compute_booked_fields",
        search="_search_fulfilment_date",
    )
    fulfilment_missing_qty = fields.Float(
        string="Missing",
        digits="Product Unit of Measure",
        compute="_compute_booked_fields",
        search="_search_fulfilment_missing_qty",
    )

    _search_fulfilment_status = booked_search("fulfilment_status")
    _search_fulfilment_date = booked_search("fulfilment_date")
    _search_fulfilment_missing_qty = booked_search("fulfilment_missing_qty")

    # ------------------------------------------------------------------
    # Reservation in rank order
    # ------------------------------------------------------------------
    def action_fulfilment_make_to_order(self):
        """A component of a make-to-order MO: a child MO for what it misses."""
        return self._fulfilment_make_children(recursive=False)

    def action_fulfilment_make_tree(self):
        """The same, and its sub-assemblies' missing components down the tree."""
        return self._fulfilment_make_children(recursive=True)

    def _fulfilment_make_children(self, recursive):
        productions = self.raw_material_production_id
        if (
            not productions
            or len(productions) != 1
            or self.filtered(lambda m: not m.raw_material_production_id)
        ):
            raise UserError(self.env._("Choose components of one manufacturing order."))
        made = self.env["sale.fulfilment.tree"]._make_children(
            productions, moves=self, recursive=recursive
        )
        return productions._fulfilment_made_notice(made)

    def _fulfilment_reservation_keys(self):
        """{move id: its place in the reservation order}: Odoo's star first,
        then sales deliveries by their order's rank, then MO components by
        schedule rank (sales book before components), then everything else.

        Read as superuser: comparing ranks must not need the right to read the
        other salesmen's orders or MOs, and only the comparison is used.
        """
        keys = {}
        for move in self.sudo():
            if move.sale_line_id and not move.move_orig_ids:
                group, rank = 0, move.sale_line_id.order_id.fulfilment_priority
            elif move.raw_material_production_id:
                group, rank = 1, move.raw_material_production_id.schedule_priority
            else:
                group, rank = 2, 0
            keys[move.id] = (-int(move.priority or 0), group, rank, move.date, move.id)
        return keys

    def _fulfilment_sorted(self, reverse=False):
        keys = self._fulfilment_reservation_keys()
        return self.sorted(lambda m: keys[m.id], reverse=reverse)

    def _fulfilment_ranked(self):
        return self.filtered(
            lambda m: (m.sale_line_id and not m.move_orig_ids) or m.raw_material_production_id
        )

    def _fulfilment_in_product_uom(self, qty):
        """``qty`` of this move's unit in its product's unit."""
        return self.product_uom._compute_quantity(
            qty, self.product_id.uom_id, rounding_method="HALF-UP"
        )

    def _action_assign(self, force_qty=False):
        if trusted(self.env, ASSIGNING_CONTEXT):
            return super()._action_assign(force_qty=force_qty)
        if (
            self
            and not force_qty
            and trusted(self.env, CONFIRMING_CONTEXT)
            and not trusted(self.env, RESERVE_NOW_CONTEXT)
        ):
            return self._fulfilment_assign_or_put_off()
        ahead = self._fulfilment_ranked_ahead() if not force_qty else self.browse()
        moves = self | ahead
        # Only moves of one product compete for its stock (those ahead are of
        # the products of these): without two of one product, Odoo's own order
        # is as good, and sorting read every move's rank.
        if ahead or len(self.product_id) < len(self):
            moves = moves._fulfilment_sorted()
        # Higher-ranked moves still waiting are served first (as superuser: they
        # may be other users' deliveries), so that these take only what they
        # leave, as the booking says; nothing of them is returned to the caller.
        res = None
        for batch in self._fulfilment_runs(moves, ahead):
            res = super(StockMove, batch._fulfilment_assigning())._action_assign(
                force_qty=force_qty
            )
        if not force_qty:
            # Only the moves asked for take stock back from lower ranks: the
            # higher-ranked ones served first above get what is free, and take
            # back for themselves when they are asked for (their own Check
            # Availability, the scheduler). Releasing for every waiting move at
            # each call redistributed reservations all day under load.
            again = self._fulfilment_release_lower_ranked()
            if again:
                # sudo: the released moves may be other users' deliveries; the
                # rank order decided that they give way, Odoo's own reservation
                # re-reserves them as far as stock goes, and nothing of them is
                # returned to the caller.
                super(StockMove, again.sudo()._fulfilment_assigning())._action_assign()
        return res

    def _fulfilment_assign_or_put_off(self):
        """Reserve ``self`` now, or right after the commit if the reservation
        collides with another transaction's.

        Runs on Odoo's last try of a sales order's confirmation
        (``sale.order._fulfilment_last_try``): its reservation collided with
        another user's transaction four times already, and a fifth collision
        would show the user the error. The reservation is made right after
        the commit instead (before the answer reaches the user), and the
        confirmation goes through. Everywhere else (the first tries, Check
        Availability, the scheduler, Odoo's own flows) a collision is Odoo's
        to retry.
        """
        env = self.env
        # The writes pending so far go to the database first, so that the
        # rollback takes back only what the reservation wrote; the pending
        # computations stay pending (computed here, earlier than Odoo would,
        # some of Odoo's stored fields saw a half-done operation), and are
        # put back if the reservation is taken back.
        self._fulfilment_write_pending()
        pending = {field: OrderedSet(ids) for field, ids in env.transaction.tocompute.items()}
        try:
            with env.cr.savepoint(flush=False):
                res = self.with_context(**{RESERVE_NOW_CONTEXT: TRUSTED})._action_assign()
                # A write that collides must do it here, inside the savepoint.
                self._fulfilment_write_pending()
                return res
        except DatabaseError as error:
            if error.pgcode not in RESERVATION_CONFLICTS:
                raise
            # What the ORM holds of the rolled-back reservation goes; the
            # transaction's precommit hooks (the booking, Odoo's tracking) stay.
            env.transaction.cache.clear()
            env.transaction.tocompute.clear()
            env.transaction.tocompute.update(pending)
            self._fulfilment_reserve_after_commit()
            return None

    def _fulfilment_write_pending(self):
        """Write what the ORM holds to write, without computing anything."""
        for model_name in OrderedSet(f.model_name for f in self.env.cache.get_dirty_fields()):
            self.env[model_name]._flush()

    def _fulfilment_reserve_after_commit(self):
        postcommit = self.env.cr.postcommit
        move_ids = postcommit.data.get(RESERVE_AFTER_COMMIT_KEY)
        if move_ids is None:
            move_ids = postcommit.data[RESERVE_AFTER_COMMIT_KEY] = set()
            postcommit.add(
                partial(
                    reserve_after_commit,
                    self.env.registry,
                    self.env.uid,
                    dict(self.env.context),
                    move_ids,
                )
            )
        move_ids.update(self.ids)

    def _fulfilment_assigning(self):
        return self.with_context(**{ASSIGNING_CONTEXT: TRUSTED})

    def _fulfilment_runs(self, moves, ahead):
        """``moves`` (in rank order) cut into runs of consecutive moves that are
        all ahead-moves (as superuser) or all the caller's: each run is reserved
        in one call, in order."""
        ahead_ids = set(ahead.ids)
        runs = []
        for move in moves:
            is_ahead = move.id in ahead_ids
            if not runs or runs[-1][0] != is_ahead:
                runs.append((is_ahead, []))
            runs[-1][1].append(move.id)
        return [self.browse(ids).sudo() if is_ahead else self.browse(ids) for is_ahead, ids in runs]

    def _fulfilment_short(self):
        """Ranked moves of ``self`` still waiting for stock, not picked."""
        return self._fulfilment_ranked().filtered(
            lambda m: m.state in ("confirmed", "partially_available") and not m.picked
        )

    def _fulfilment_ranked_moves(self, products, states, behind=None):
        """Other deliveries and MO components of ``products`` in ``states``, not
        picked, as superuser: they are often other salesmen's, which the caller
        may not read; they are only compared, reserved or released by rank.
        ``behind``: an SQL condition on ``m`` (the move) and ``so`` (its sales
        order) narrowing them further.

        In SQL: the ORM's search through the sales line to its order's rank
        planned nested subqueries at every confirmation.
        """
        self._fulfilment_flush_ranked()
        self.env.cr.execute(
            SQL(
                """
                SELECT m.id
                  FROM stock_move m
                  LEFT JOIN sale_order_line sol ON sol.id = m.sale_line_id
                  LEFT JOIN sale_order so ON so.id = sol.order_id
                 WHERE m.product_id = ANY(%(products)s::int[]) AND %(others)s AND %(behind)s
                """,
                products=pg_array(products.ids),
                others=self._fulfilment_other_ranked(states),
                behind=behind or SQL("TRUE"),
            )
        )
        return self.sudo().browse(row[0] for row in self.env.cr.fetchall())

    def _fulfilment_flush_ranked(self):
        """Flush what ``_fulfilment_other_ranked()`` reads: of other moves than
        ``self``, which it leaves out. Flushing the moves being confirmed now
        would write them twice (once here, once with what Odoo sets next)."""
        ranked = [self._fields[fname] for fname in RANKED_MOVE_FIELDS]
        own = set(self._ids)
        if any(
            not own.issuperset(self.env.cache.get_dirty_records(self, field)._ids)
            or not own.issuperset(self.env.records_to_compute(field)._ids)
            for field in ranked
        ):
            self.flush_model(RANKED_MOVE_FIELDS)
        self.env["sale.order.line"].flush_model(["order_id"])
        self.env["sale.order"].flush_model(["fulfilment_priority"])

    def _fulfilment_other_ranked(self, states):
        """The SQL condition on ``m``: a delivery or MO component other than
        those of ``self``, in ``states``, not picked."""
        return SQL(
            """m.state = ANY(%(states)s::varchar[])
               AND NOT COALESCE(m.picked, FALSE)
               AND m.id != ALL(%(own)s::int[])
               AND (m.raw_material_production_id IS NOT NULL
                    OR (m.sale_line_id IS NOT NULL
                        AND NOT EXISTS (SELECT 1 FROM stock_move_move_rel r
                                         WHERE r.move_dest_id = m.id)))""",
            states=pg_array(states),
            own=pg_array(self.ids),
        )

    def _fulfilment_maybe_behind(self):
        """An SQL condition (``_fulfilment_ranked_moves``) on the moves that may
        rank after some move of ``self``: a superset, so that a newly confirmed
        order (ranked last) does not read every reservation of its products."""
        moves = self.sudo()
        top_star = max((int(m.priority or 0) for m in moves), default=0)
        ranks = [m.sale_line_id.order_id.fulfilment_priority for m in moves if m.sale_line_id]
        # Components rank after every delivery; deliveries after the orders
        # ranked before them; a star (Odoo's priority) before everything.
        behind = [SQL("m.raw_material_production_id IS NOT NULL")]
        if ranks:
            behind.append(SQL("so.fulfilment_priority >= %s", min(ranks)))
        if top_star:
            behind.append(SQL("m.priority < %s", str(top_star)))
        return SQL("(%s)", SQL(" OR ").join(behind))

    def _fulfilment_ranked_ahead(self):
        """Deliveries and components ranked before the ranked moves of ``self``,
        of the same products, still waiting for stock and not picked: those
        that the free stock can serve, in rank order."""
        ranked = self._fulfilment_short()
        # Only where there is free stock to serve them and other moves wait for
        # it: with no stock, neither these moves nor the ones ahead get
        # anything, and a backlog of waiting deliveries is not re-examined at
        # every confirmation; with nobody waiting, there is nobody to serve
        # first, which one query tells for both.
        free = self._fulfilment_free_stock(
            {(move.product_id.id, move.location_id.id) for move in ranked.sudo()},
            contested=True,
        )
        ranked = ranked.filtered(lambda m: (m.product_id.id, m.location_id.id) in free)
        if not ranked:
            return self.browse()
        candidates = self._fulfilment_ranked_moves(
            ranked.product_id, ("confirmed", "partially_available")
        )
        if not candidates:
            return self.browse()
        keys = (ranked | candidates)._fulfilment_reservation_keys()
        worst = {}
        for move in ranked:
            key = (move.product_id.id, move.location_id.warehouse_id.id)
            worst[key] = max(worst.get(key, keys[move.id]), keys[move.id])
        ahead = candidates.filtered(
            lambda m: (
                keys[m.id] < worst.get((m.product_id.id, m.location_id.warehouse_id.id), keys[m.id])
            )
        )
        # Of a backlog of hundreds waiting, the free stock serves the first few:
        # Odoo's reservation is asked for those only. Moves from another
        # location draw on other stock: they are all kept.
        left = dict(free)
        served = []
        for move in ahead.sorted(lambda m: keys[m.id]):
            place = (move.product_id.id, move.location_id.id)
            if place in left:
                if left[place] <= 0:
                    continue
                left[place] -= move.product_qty - move._fulfilment_in_product_uom(move.quantity)
            served.append(move.id)
        return ahead.browse(served)

    def _fulfilment_free_stock(self, places, contested=False):
        """{(product id, location id): free quantity} for the pairs of
        ``places`` that have some, in the product's unit, in one query;
        ``contested``: only of products that other deliveries or components
        wait for (a newly confirmed order, while stock lasts, has nobody ahead
        of it to serve, and the lookup of who waits is then not asked).

        Counted as Odoo's own reservation counts it: everything in the
        location and below it, less what is reserved, each lot apart (a lot
        short of stock does not lend another's), the quants without a lot
        together (Odoo leaves negative quants beside positive ones, and their
        sum is what is free). Read in SQL, whatever the user's rights: only
        quantities are compared.
        """
        if not places:
            return {}
        self.env["stock.quant"].flush_model(
            ["product_id", "location_id", "lot_id", "quantity", "reserved_quantity"]
        )
        self.env["stock.location"].flush_model(["parent_path"])
        products, locations = zip(*sorted(places))
        waited = SQL("TRUE")
        if contested:
            self._fulfilment_flush_ranked()
            waited = SQL(
                "EXISTS (SELECT 1 FROM stock_move m WHERE m.product_id = p.product_id AND %s)",
                self._fulfilment_other_ranked(("confirmed", "partially_available")),
            )
        self.env.cr.execute(
            SQL(
                """
                SELECT product_id, location_id, SUM(GREATEST(free, 0))::float8
                  FROM (
                    SELECT p.product_id, p.location_id, q.lot_id,
                           SUM(COALESCE(q.quantity, 0) - COALESCE(q.reserved_quantity, 0))
                               AS free
                      FROM unnest(%s::int[], %s::int[]) AS p(product_id, location_id)
                      JOIN stock_location l ON l.id = p.location_id
                      JOIN stock_location ql ON starts_with(ql.parent_path, l.parent_path)
                      JOIN stock_quant q
                           ON q.location_id = ql.id AND q.product_id = p.product_id
                     WHERE %s
                     GROUP BY p.product_id, p.location_id, q.lot_id
                  ) per_lot
                 GROUP BY product_id, location_id
                HAVING SUM(GREATEST(free, 0)) > 0
                """,
                list(products),
                list(locations),
                waited,
            )
        )
        return {(product, location): qty for product, location, qty in self.env.cr.fetchall()}

    def _fulfilment_release_lower_ranked(self):
        """Unreserve lower-ranked moves holding stock that short higher-ranked
        moves of ``self`` need; return the moves to reserve again, in rank order.

        Picked and done quantities are never taken back, nor what a
        make-to-order MO produced for its own delivery. Quantities are compared
        in the product's unit.
        """
        short = self._fulfilment_short()
        if not short:
            return self.browse()
        holders = short._fulfilment_ranked_moves(
            short.product_id,
            ("assigned", "partially_available"),
            behind=short._fulfilment_maybe_behind(),
        )
        if not holders:
            return self.browse()
        keys = (short | holders)._fulfilment_reservation_keys()
        needed = defaultdict(float)
        best_short = {}
        for move in short.sudo():
            key = (move.product_id.id, move.location_id.warehouse_id.id)
            needed[key] += move.product_qty - move._fulfilment_in_product_uom(move.quantity)
            best_short[key] = min(best_short.get(key, keys[move.id]), keys[move.id])
        released = holders.browse()
        for holder in holders.sorted(lambda m: keys[m.id], reverse=True):
            key = (holder.product_id.id, holder.location_id.warehouse_id.id)
            rounding = holder.product_id.uom_id.rounding
            if (
                key not in best_short
                or float_compare(needed[key], 0, precision_rounding=rounding) <= 0
            ):
                continue
            if keys[holder.id] <= best_short[key]:
                continue
            needed[key] -= holder._fulfilment_in_product_uom(holder.quantity)
            released |= holder
        if not released:
            return self.browse()
        released._do_unreserve()
        return (short.sudo() | released)._fulfilment_sorted()
