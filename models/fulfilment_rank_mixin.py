from odoo import models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .sale_fulfilment_rebook import read_committed


class FulfilmentRankMixin(models.AbstractModel):
    """A drag-and-drop rank, kept unique by construction.

    New records go to the bottom. Reordering a set of records hands out the
    ranks those records already hold, in the new order: records outside the set
    (other filters, other pages, closed documents) keep theirs, so no two
    records ever share a rank and a drag touches only the rows it moved across.
    Everything is one SQL statement, whatever the number of records.
    """

    _name = "fulfilment.rank.mixin"
    _description = "Drag-and-drop rank"
    _rank_field = None
    # Who may write a rank outright.
    _rank_manager_group = "base.group_system"

    def _rank_sequence(self):
        return f"{self._table}_{self._rank_field}_seq"

    def _init_rank_sequence(self):
        """Called from the ranked models' ``init()`` (Odoo's own ``init()`` of
        sale.order does not call super(), so a mixin's would not run)."""
        # New ranks come from a sequence: two transactions confirming at the same
        # moment each get their own, which MAX() + 1 read from their snapshots
        # could not promise. It starts after every rank already given.
        sequence = SQL.identifier(self._rank_sequence())
        self.env.cr.execute(SQL("CREATE SEQUENCE IF NOT EXISTS %s", sequence))
        self.env.cr.execute(
            SQL(
                "SELECT setval(%s, GREATEST((SELECT COALESCE(MAX(%s), 0) FROM %s) + 1, "
                "(SELECT last_value + is_called::int FROM %s)), false)",
                self._rank_sequence(),
                SQL.identifier(self._rank_field),
                SQL.identifier(self._table),
                sequence,
            )
        )

    def _append_to_ranks(self):
        """Give the records ranks below every existing one, in recordset order."""
        if not self:
            return
        self.flush_model([self._rank_field])
        self.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s t
                   SET %(field)s = r.rank
                  FROM (SELECT id, nextval(%(sequence)s) AS rank
                          FROM unnest(%(ids)s::int[]) WITH ORDINALITY AS v(id, n)
                         ORDER BY n) r
                 WHERE t.id = r.id
             RETURNING t.id, t.%(field)s
                """,
                table=SQL.identifier(self._table),
                field=SQL.identifier(self._rank_field),
                sequence=self._rank_sequence(),
                ids=list(self.ids),
            )
        )
        # Into the cache rather than invalidated: the reservation that follows
        # compares these ranks, and a rank missing from the cache was fetched
        # with every other column of the order.
        ranks = dict(self.env.cr.fetchall())
        records = self.browse(ranks)
        self.env.cache.update(
            records, self._fields[self._rank_field], [ranks[i] for i in records.ids]
        )

    def _keep_rank_sequence_above(self, rank):
        """A rank written by hand: later appends still go below it."""
        # Two such writes at once must not each read the sequence and set it
        # back below the other's rank: one after the other (sequences are not
        # transactional, so the second reads the first's value).
        self.env.cr.execute(
            SQL("SELECT pg_advisory_xact_lock(hashtext(%s))", self._rank_sequence())
        )
        self.env.cr.execute(
            SQL(
                "SELECT setval(%s, GREATEST(%s + 1, "
                "(SELECT last_value + is_called::int FROM %s)), false)",
                self._rank_sequence(),
                int(rank),
                SQL.identifier(self._rank_sequence()),
            )
        )

    def _set_ranks(self):
        """Reorder the records of ``self`` to follow the recordset's order.

        Returns the records whose rank changed.
        """
        self.check_access("write")
        self.flush_model()  # the rank and what _rank_movable_sql() reads
        # One query for existence and current ranks, whatever the number of rows
        # (the ORM would read them in batches of a thousand). The rows are
        # locked, in id order (two drags never deadlock): in a READ COMMITTED
        # transaction (``_set_ranks_in_own_transaction``) the ranks read are
        # then the latest, and no other drag changes them before the update.
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM %s WHERE id = ANY(%s) AND %s ORDER BY id FOR NO KEY UPDATE",
                SQL.identifier(self._rank_field),
                SQL.identifier(self._table),
                list(self.ids),
                self._rank_movable_sql(),
            )
        )
        current = {rid: rank or 0 for rid, rank in self.env.cr.fetchall()}
        records = self.browse([rid for rid in self.ids if rid in current])
        if not records:
            return records
        ranks = sorted(current.values())
        for i in range(1, len(ranks)):
            # Unranked or tied records (imports, old data) are spread apart.
            ranks[i] = max(ranks[i], ranks[i - 1] + 1)
        changed = [(rid, rank) for rid, rank in zip(records.ids, ranks) if current[rid] != rank]
        if not changed:
            return records.browse()
        self.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s t SET %(field)s = v.rank
                  FROM unnest(%(ids)s::int[], %(ranks)s::int[]) AS v(id, rank)
                 WHERE t.id = v.id
                """,
                table=SQL.identifier(self._table),
                field=SQL.identifier(self._rank_field),
                ids=[rid for rid, _rank in changed],
                ranks=[rank for _rid, rank in changed],
            )
        )
        moved = records.browse([rid for rid, _rank in changed])
        moved.invalidate_recordset([self._rank_field])
        moved._on_ranks_changed(reordered={rid: (current[rid], rank) for rid, rank in changed})
        return moved

    def _set_ranks_in_own_transaction(self):
        """The drag (the lists' resequence): ``_set_ranks`` in a READ COMMITTED
        transaction of its own, committed before the request returns; the
        ids of the records whose rank changed.

        A drop onto the top of a page gives a new rank to every record it
        passes. In the request's REPEATABLE READ transaction that update
        failed whenever another drag of the page, or a validation writing
        one of its orders, had committed since the request began (PostgreSQL
        refuses to update a row changed after the snapshot), and Odoo ran
        the whole request again after sleeping up to 2 s, then 4 s. Here the
        drag waits for those transactions' locks and reads what they wrote.
        The booking the drag calls for runs at its commit, as at any other.
        """
        with self.env.registry.cursor() as cr:
            read_committed(cr)
            return self.with_env(self.env(cr=cr))._set_ranks().ids

    def write(self, vals):
        if self._rank_field in vals:
            self._check_rank_write()
        res = super().write(vals)
        if self._rank_field in vals:
            self._keep_rank_sequence_above(vals[self._rank_field] or 0)
            self._on_ranks_changed()
        return res

    def _rank_movable_sql(self):
        """Condition on the table's rows that may still be reordered; the others
        keep their ranks when dragged among them."""
        return SQL("TRUE")

    def _check_rank_write(self):
        """Writing a rank outright (not the drag, which permutes the ranks the
        records already hold) is a manager's call."""
        if self.env.su or self.env.user.has_group(self._rank_manager_group):
            return
        raise AccessError(
            self.env._(
                "Only a manager may set a rank directly; drag the rows in the list to reorder them."
            )
        )

    def _on_ranks_changed(self, reordered=None):
        """Hook: the records of ``self`` were given new ranks.

        ``reordered`` ({id: (old rank, new rank)}) when they were reordered
        among the ranks they held (a drag); None when a rank was written
        outright.
        """
