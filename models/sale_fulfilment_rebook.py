"""When, and under which locks, the booking runs: freshness under many users.

Odoo runs several workers whose transactions are REPEATABLE READ: a lock taken
after a transaction's first statement does not make what it reads fresh. The
booking therefore runs in three places, each safe on its own:

1. **In the user's transaction**, at its end (precommit), for the products it
   touched, so that the rest of the transaction (and a test) reads booked
   statuses. It only goes ahead when nobody else is booking those products or
   their orders and MOs (try-locks: a user's save never waits for a booking),
   and it bumps each product's booking clock first: a clock row that another
   booking committed after this transaction's snapshot raises a serialization
   failure, which proves the snapshot stale. Any of these makes it give way,
   inside a savepoint, to step 2. When it succeeds it is as fresh as a booking
   after the commit would be: whatever committed after the snapshot without
   being booked yet is booked by its own step 2, which waits for this
   transaction's locks.
2. **After the commit**, in a transaction of its own at READ COMMITTED, where
   every statement sees what committed before it: the products that step 1
   could not book were recorded durably (``sale.fulfilment.rebook.queue``) in
   the user's own transaction; this step takes their locks (waiting, in a
   fixed order, so never a deadlock), then consumes their queue rows and books
   them. Statements after the locks see every commit that came before.
3. **The scheduled actions**: one books what is still queued (a process that
   died between a commit and step 2), one rebuilds everything. A rebuild holds
   the global lock exclusively, every other booking shares it.
"""

import json
import logging
import random
import time
from datetime import timedelta
from functools import partial

from psycopg2 import Error as DatabaseError
from psycopg2 import errorcodes
from psycopg2.errors import OperationalError

from odoo import SUPERUSER_ID, api, fields, models
from odoo.sql_db import TestCursor
from odoo.tools import SQL

from ..pg_array import pg_array
from ..vocabulary import (
    EXCLUSIVE_CONTEXT,
    FRESH_CONTEXT,
    NO_REBOOK_CONTEXT,
    TRUSTED,
    trusted,
)

_logger = logging.getLogger(__name__)

DIRTY_KEY = "sale_fulfilment.dirty_products"
# Why products were marked (``_mark_products``), for the booking of orders
# appended at the bottom of the ranks (``_book_appended``): by records of those
# orders; by changes that cannot move a status unless the stock or supplies
# their pools are built from change, which that booking checks (reservations);
# by sales deliveries validated, whose quantities that booking accounts for;
# by a reorder of their orders (a drag), which changes nothing when every line
# that changed places was Not available for want of anything
# (``_book_reordered``); by anything else, which needs the full booking.
APPENDED, CHECKED, DELIVERED, REORDERED, OTHER = (
    "appended",
    "checked",
    "delivered",
    "reordered",
    "other",
)
MARK_KINDS_KEY = "sale_fulfilment.mark_kinds"
APPENDED_ORDERS_KEY = "sale_fulfilment.appended_orders"
DELIVERED_MOVES_KEY = "sale_fulfilment.delivered_moves"
REORDERED_KEY = "sale_fulfilment.reordered_orders"
AFTER_COMMIT_KEY = "sale_fulfilment.rebook_after_commit"
REBUILD_KEY = "sale_fulfilment.rebuild_after_commit"
# Advisory lock keys: one bigint for the rebuild, (namespace, id) pairs for the rest.
LOCK_REBUILD = 0x5F5F_0000
LOCK_NAMESPACES = {"product": 0x5F5F_0001, "order": 0x5F5F_0002, "production": 0x5F5F_0003}
# Errors that mean "someone else got there first": give way and book later.
GIVE_WAY = {
    errorcodes.SERIALIZATION_FAILURE,
    errorcodes.DEADLOCK_DETECTED,
    errorcodes.LOCK_NOT_AVAILABLE,
    errorcodes.UNIQUE_VIOLATION,
}
AFTER_COMMIT_TRIES = 3
# Past this many products, orders or MOs, a booking takes the rebuild lock
# exclusively rather than one lock each: PostgreSQL's lock table is shared by
# every connection (64 per connection by default).
LOCK_LIMIT = 500
# A booking after a commit waits at most this long for a rebuild in progress;
# past it, the queued products are left to the scheduled action, which is
# triggered.
LOCK_TIMEOUT = "30s"


class Busy(Exception):
    """Someone else is booking these products, orders or MOs right now."""


class TooMany(Busy):
    """More records to lock one by one than PostgreSQL's lock table allows:
    the booking runs under the rebuild lock, taken exclusively, instead."""


def read_committed(cr):
    """Make the new transaction of ``cr`` READ COMMITTED (before any query).

    A test cursor shares the test's transaction: it stays as it is.
    """
    if not isinstance(cr, TestCursor):
        cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")


def rebook_after_commit(registry, product_ids):
    """Postcommit hook: book ``product_ids`` in a transaction of their own.

    The user's transaction has committed: nothing here may reach the user as
    an error. Whatever fails stays queued for the scheduled action.
    """
    exclusive = False
    for attempt in range(1, AFTER_COMMIT_TRIES + 1):
        try:
            with registry.cursor() as cr:
                read_committed(cr)
                cr.execute(SQL("SET LOCAL lock_timeout = %s", LOCK_TIMEOUT))
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["sale.fulfilment.rebook"]._book_queued(product_ids, exclusive=exclusive)
            return
        except TooMany:
            exclusive = True
            continue
        except OperationalError as error:
            if error.pgcode == errorcodes.LOCK_NOT_AVAILABLE:
                _logger.info("Re-booking waits for a rebuild; left to the scheduled action.")
                _trigger_queue_cron(registry)
                return
            if error.pgcode in GIVE_WAY and attempt < AFTER_COMMIT_TRIES:
                time.sleep(random.uniform(0.01, 0.1 * attempt))
                continue
            _logger.warning(
                "Re-booking of products %s failed; left to the scheduled action.",
                sorted(product_ids),
                exc_info=True,
            )
            return
        except Exception:  # the user's commit is done: log, never raise
            _logger.exception(
                "Re-booking of products %s failed; left to the scheduled action.",
                sorted(product_ids),
            )
            return


def _trigger_queue_cron(registry):
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cron = env.ref("sale_fulfilment.ir_cron_rebook_queued", raise_if_not_found=False)
            if cron:
                cron._trigger(fields.Datetime.now() + timedelta(minutes=1))
    except Exception:  # best effort: the cron also runs on its own interval
        _logger.exception("Could not trigger the re-booking scheduled action.")


class SaleFulfilmentRebook(models.AbstractModel):
    _name = "sale.fulfilment.rebook"
    _description = "Sales fulfilment: when and under which locks the booking runs"

    # ------------------------------------------------------------------
    # Marking, in the user's transaction
    # ------------------------------------------------------------------
    @api.model
    def _note_appended_orders(self, order_ids):
        """These sales orders were put at the bottom of the ranks in this
        transaction: marks by their records are APPENDED."""
        self.env.cr.precommit.data.setdefault(APPENDED_ORDERS_KEY, set()).update(order_ids)

    def _appended_orders(self):
        return self.env.cr.precommit.data.get(APPENDED_ORDERS_KEY, set())

    @api.model
    def _note_reordered(self, spans):
        """A reorder in this transaction changed the places of these orders'
        lines among the lines of each product (``spans``: {product id: order
        ids}); marks by it are REORDERED."""
        noted = self.env.cr.precommit.data.setdefault(REORDERED_KEY, {})
        for product_id, order_ids in spans.items():
            noted.setdefault(product_id, set()).update(order_ids)
        self._mark_products(spans, REORDERED)

    def _reordered(self):
        return self.env.cr.precommit.data.get(REORDERED_KEY, {})

    @api.model
    def _note_delivered_moves(self, move_ids):
        """These sales deliveries were validated in this transaction: marks by
        them are DELIVERED."""
        self.env.cr.precommit.data.setdefault(DELIVERED_MOVES_KEY, set()).update(move_ids)

    def _delivered_moves(self):
        return self.env.cr.precommit.data.get(DELIVERED_MOVES_KEY, set())

    @api.model
    def _mark_products(self, product_ids, kind=OTHER):
        """Book these products at the end of the transaction; ``kind`` says why
        they were marked (APPENDED, CHECKED or OTHER)."""
        product_ids = {pid for pid in product_ids if pid}
        if not product_ids:
            return
        cr = self.env.cr
        data = cr.precommit.data
        kinds = data.setdefault(MARK_KINDS_KEY, {})
        for pid in product_ids:
            kinds.setdefault(pid, set()).add(kind)
        if self.env.context.get(NO_REBOOK_CONTEXT):
            # A mass import: one rebuild once it is committed, not a booking per
            # transaction.
            if not data.get(REBUILD_KEY):
                data[REBUILD_KEY] = True
                cr.precommit.add(self.sudo()._trigger_rebuild)
            return
        if DIRTY_KEY not in data:
            data[DIRTY_KEY] = set()
            # sudo: the booking reads and writes for every user's documents;
            # it returns nothing to the caller.
            cr.precommit.add(self.sudo()._book_marked)
        data[DIRTY_KEY] |= product_ids

    def _trigger_rebuild(self):
        self.env.ref("sale_fulfilment.ir_cron_rebuild_availability")._trigger()

    def _book_marked(self):
        """Precommit: book the marked products here if nobody else is, queue the rest."""
        cr = self.env.cr
        data = cr.precommit.data
        # Flushing may touch more moves and quants, which marks more products.
        self.env.flush_all()
        left, left_appendable, left_reordered = set(), set(), set()
        while data.get(DIRTY_KEY):
            product_ids = data[DIRTY_KEY]
            data[DIRTY_KEY] = set()
            kinds = data.pop(MARK_KINDS_KEY, {})
            appendable, reordered = set(), set()
            for pid in product_ids:
                why = kinds.get(pid, {OTHER})
                if why <= {REORDERED, CHECKED} and REORDERED in why:
                    reordered.add(pid)
                elif not why & {OTHER, REORDERED}:
                    appendable.add(pid)
            if not self._book_in_transaction(product_ids, appendable, reordered):
                left |= product_ids
                left_appendable |= appendable
                left_reordered |= reordered
            self.env.flush_all()
        data.pop(DIRTY_KEY, None)
        data.pop(MARK_KINDS_KEY, None)
        if left:
            self._enqueue(left, left_appendable, left_reordered)
        data.pop(REORDERED_KEY, None)

    def _book_in_transaction(self, product_ids, appendable=(), reordered=()):
        """Book ``product_ids`` in the current transaction; False when it gave way.

        Those of ``appendable`` (marked only by orders appended at the bottom of
        the ranks, or by reservations) go on from their pools' state when it
        allows (``_book_appended``); those of ``reordered`` (marked only by a
        reorder) need nothing when the lines that changed places were all Not
        available for want of anything (``_book_reordered``); the others are
        booked in full.
        """
        cr = self.env.cr
        booking = self.env["sale.fulfilment.booking"]
        try:
            with cr.savepoint(flush=False):
                scope, kits = booking._booking_scope(product_ids)
                self._lock("product", scope, with_rebuild=True)
                done = set()
                if appendable and not kits:
                    done = booking._book_appended(
                        set(appendable) & scope, self._appended_orders(), self._delivered_moves()
                    )
                if reordered and not kits:
                    done |= booking._book_reordered(set(reordered) & scope, self._reordered())
                if scope - done:
                    booking._rebook(sorted(scope - done), kits=kits)
        except Busy:
            # Counted by the load benchmark (bench/load.py), which logs this at DEBUG.
            _logger.debug("Booking of %s gives way: busy", sorted(product_ids))
            booking._invalidate_booked()
            return False
        except DatabaseError as error:
            if error.pgcode not in GIVE_WAY:
                raise
            _logger.debug("Booking of %s gives way: %s", sorted(product_ids), error.pgcode)
            booking._invalidate_booked()
            return False
        return True

    def _enqueue(self, product_ids, appendable=(), reordered=()):
        """Record durably, in this transaction, that these products need booking,
        and book them right after the commit: ``appendable`` ones from their
        pools' state when it still allows (``_book_appended``), ``reordered``
        ones not again when their reorder allows (``_book_reordered``)."""
        cr = self.env.cr
        after = cr.postcommit.data.get(AFTER_COMMIT_KEY)
        if after is None:
            after = cr.postcommit.data[AFTER_COMMIT_KEY] = set()
            cr.postcommit.add(partial(rebook_after_commit, self.env.registry, after))
        # What this transaction changed, for whichever booking consumes the
        # rows: this one's after the commit, another's, or the scheduled action.
        spans = self._reordered()
        changes = json.dumps(
            {
                "orders": sorted(self._appended_orders()),
                "moves": sorted(self._delivered_moves()),
                "reordered": {
                    str(pid): sorted(spans[pid]) for pid in sorted(reordered) if pid in spans
                },
            }
        )
        # Inserts only: rows of other transactions never conflict with these.
        cr.execute(
            SQL(
                """
                INSERT INTO sale_fulfilment_rebook_queue (product_id, queued_at, changes)
                SELECT id, now() at time zone 'UTC',
                       CASE WHEN id = ANY(%s::int[]) THEN %s::jsonb END
                  FROM product_product
                 WHERE id = ANY(%s::int[])
                """,
                pg_array(sorted(set(appendable) | set(reordered))),
                changes,
                pg_array(sorted(product_ids)),
            )
        )
        after |= product_ids

    # ------------------------------------------------------------------
    # Locks
    # ------------------------------------------------------------------
    def _exclusive(self):
        """Whether this booking holds the rebuild lock exclusively."""
        return trusted(self.env, EXCLUSIVE_CONTEXT)

    def _fresh(self):
        """Whether this booking may wait for locks: it runs at READ COMMITTED
        (or holds the rebuild lock), so what it reads after them is fresh."""
        return trusted(self.env, FRESH_CONTEXT)

    def _lock(self, kind, ids, with_rebuild=False):
        """Lock ``ids`` of ``kind`` for the rest of the transaction, in id order
        (and the rebuild lock, shared, first when asked).

        A fresh booking waits for them; a booking in a user's transaction
        only tries, and raises Busy when another holds one.
        """
        if self._exclusive():
            return  # the rebuild lock, held exclusively, covers everything
        ids = sorted({i for i in ids if i})
        if len(ids) > LOCK_LIMIT:
            raise TooMany()
        if not ids and not with_rebuild:
            return
        self.env.cr.execute(self._lock_sql(kind, ids, with_rebuild))
        taken = self.env.cr.fetchone()[0]
        if taken is None:
            raise TooMany()
        if not taken:
            # Rolling back the savepoint releases the locks taken so far.
            raise Busy()

    def _lock_sql(self, kind, ids, with_rebuild=False, ids_sql=None, with_ids=False):
        """The statement taking the locks; it returns one row, true when all
        were taken. ``ids_sql`` (a query of ids) may stand for ``ids``;
        ``with_ids`` adds a second column, the ids (sorted, an empty array
        when none)."""
        fresh = self._fresh()
        lock = SQL("pg_advisory_xact_lock" if fresh else "pg_try_advisory_xact_lock")
        rebuild = SQL(
            "pg_advisory_xact_lock_shared(%s) IS NOT NULL"
            if fresh
            else "pg_try_advisory_xact_lock_shared(%s)",
            LOCK_REBUILD,
        )
        if ids_sql is None:
            ids_sql = SQL("SELECT unnest(%s::int[]) AS i", pg_array(ids))
        # The sorted subquery feeds the locks in id order: waiting locks are
        # always taken in the same order, so two bookings never deadlock. NULL
        # (TooMany) when there are more than LOCK_LIMIT: none is taken then.
        taken = SQL(
            """
            WITH ids(i) AS MATERIALIZED (%(ids)s ORDER BY 1)
            SELECT CASE WHEN (SELECT COUNT(*) FROM ids) > %(limit)s THEN NULL
                        ELSE (SELECT COALESCE(bool_and(%(lock)s), TRUE) FROM ids) END
                   %(count)s
            """,
            ids=ids_sql,
            count=SQL(", ARRAY(SELECT i FROM ids ORDER BY i)") if with_ids else SQL(),
            limit=LOCK_LIMIT,
            # A waiting lock returns void, which is not NULL: always true.
            lock=SQL("%s(%s, i) IS NOT NULL", lock, LOCK_NAMESPACES[kind])
            if fresh
            else SQL("%s(%s, i)", lock, LOCK_NAMESPACES[kind]),
        )
        if not with_rebuild:
            return taken
        return SQL("SELECT %s AND (%s)", rebuild, taken)

    # ------------------------------------------------------------------
    # After the commit, and the scheduled actions
    # ------------------------------------------------------------------
    @api.model
    def _book_queued(self, product_ids=None, exclusive=False):
        """Book the queued products among ``product_ids`` (all queued when None).

        Runs in a READ COMMITTED transaction of its own: the statements after
        the locks see every commit that came before them. ``exclusive``: under
        the rebuild lock alone (too many records to lock one by one). Returns
        the booked product ids.

        A product all of whose consumed rows say that their transactions only
        appended orders at the bottom of the ranks or validated deliveries
        (``changes``) goes on from its pools' state with all of those at once
        (``_book_appended``); one whose rows each say that their transaction
        only reordered its orders is not booked again when the lines that
        changed places had all got nothing (``_book_reordered``); a row that
        may stand for any change books it in full.
        """
        cr = self.env.cr
        fresh = self.with_context(**{FRESH_CONTEXT: TRUSTED})
        if exclusive:
            cr.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_REBUILD])
            fresh = fresh.with_context(**{EXCLUSIVE_CONTEXT: TRUSTED})
        if product_ids is None:
            cr.execute("SELECT DISTINCT product_id FROM sale_fulfilment_rebook_queue")
            product_ids = [row[0] for row in cr.fetchall()]
        if not product_ids:
            return set()
        booking = fresh.env["sale.fulfilment.booking"]
        # Kits and their components are booked together (``_booking_scope``),
        # all locked at once, in order.
        scope, kits = booking._booking_scope(set(product_ids))
        fresh._lock("product", scope, with_rebuild=True)
        # Rows consumed by another booking since were booked by it, after the
        # commit that queued them: nothing left to do for those.
        cr.execute(
            SQL(
                """
                DELETE FROM sale_fulfilment_rebook_queue WHERE product_id = ANY(%s::int[])
                RETURNING product_id, changes
                """,
                pg_array(sorted(set(product_ids))),
            )
        )
        rows = cr.fetchall()
        todo = {pid for pid, _changes in rows}
        any_change = {pid for pid, changes in rows if not changes}
        orders = {oid for _pid, changes in rows if changes for oid in changes["orders"]}
        moves = {mid for _pid, changes in rows if changes for mid in changes["moves"]}
        # A product reordered by one transaction goes without booking again
        # only when every row of it says a reorder alone: nothing appended,
        # nothing delivered.
        spans, not_reorder_only = {}, set()
        for pid, changes in rows:
            span = (changes or {}).get("reordered", {}).get(str(pid))
            if span is None or changes["orders"] or changes["moves"]:
                not_reorder_only.add(pid)
            if span is not None:
                spans.setdefault(pid, set()).update(span)
        reordered = set(spans) - not_reorder_only - any_change
        if todo:
            if todo != set(product_ids):
                scope, kits = booking._booking_scope(todo)
            done = set()
            appendable = todo - any_change - set(spans)
            if appendable and not kits:
                done = booking._book_appended(appendable, orders, moves)
            if reordered and not kits:
                done |= booking._book_reordered(reordered, spans)
            if scope - done:
                booking._rebook(sorted(scope - done), kits=kits)
        return todo

    @api.model
    def _book_exclusively(self, product_ids):
        """Book ``product_ids`` under the rebuild lock, taken exclusively: for a
        script or a benchmark booking many products at once."""
        self.env.flush_all()
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_REBUILD])
        booking = self.with_context(**{FRESH_CONTEXT: TRUSTED, EXCLUSIVE_CONTEXT: TRUSTED}).env[
            "sale.fulfilment.booking"
        ]
        scope, kits = booking._booking_scope(set(product_ids))
        booking._rebook(sorted(scope), kits=kits)

    @api.model
    def _cron_book_queued(self):
        """Safety net: book what a process that died after its commit left queued."""
        with self.env.registry.cursor() as cr:
            read_committed(cr)
            env = api.Environment(cr, SUPERUSER_ID, {})
            try:
                with cr.savepoint(flush=False):
                    booked = env[self._name]._book_queued(None)
            except TooMany:
                booked = env[self._name]._book_queued(None, exclusive=True)
        if booked:
            _logger.info("Booked %s products left queued.", len(booked))
        return booked

    @api.model
    def _rebuild(self):
        """Book everything in the current transaction, under the rebuild lock.

        Returns True when done, False when the transaction's snapshot turned
        out older than another booking's commit (the rebuild would have
        written stale results): nothing is written then, and the caller tries
        again later.
        """
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_REBUILD])
                fresh = self.with_context(**{FRESH_CONTEXT: TRUSTED})
                # Bumping every clock fails when a booking committed after this
                # snapshot: what is queued since is booked after this rebuild.
                fresh.env["sale.fulfilment.booking"]._bump_clocks(None)
                cr.execute("DELETE FROM sale_fulfilment_rebook_queue")
                fresh.env["sale.fulfilment.booking"]._rebook(None)
        except OperationalError as error:
            if error.pgcode not in GIVE_WAY:
                raise
            self.env["sale.fulfilment.booking"]._invalidate_booked()
            return False
        return True

    @api.model
    def _cron_rebuild(self):
        """The scheduled rebuild: never skipped, at worst postponed by a minute.

        In the current transaction first (an import, a test or an install sees
        its own uncommitted data). When its snapshot proves older than another
        booking's commit (a worker's cron transaction starts before it gets
        the lock), in a READ COMMITTED transaction of its own. Returns
        ``"done"`` or ``"postponed"``.
        """
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(SQL("SET LOCAL lock_timeout = %s", LOCK_TIMEOUT))
        try:
            if self._rebuild():
                return "done"
        finally:
            cr.execute("SET LOCAL lock_timeout = DEFAULT")
        if not isinstance(cr, TestCursor):
            try:
                with self.env.registry.cursor() as fresh_cr:
                    read_committed(fresh_cr)
                    fresh_cr.execute(SQL("SET LOCAL lock_timeout = %s", LOCK_TIMEOUT))
                    if api.Environment(fresh_cr, SUPERUSER_ID, {})[self._name]._rebuild():
                        self.env["sale.fulfilment.booking"]._invalidate_booked()
                        return "done"
            except OperationalError as error:
                if error.pgcode not in GIVE_WAY:
                    raise
        _logger.info("Availability rebuild postponed by a minute: other bookings are running.")
        self.env.ref("sale_fulfilment.ir_cron_rebuild_availability")._trigger(
            fields.Datetime.now() + timedelta(minutes=1)
        )
        return "postponed"
