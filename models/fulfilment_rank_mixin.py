from odoo import models
from odoo.tools import SQL


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

    def _append_to_ranks(self):
        """Give the records ranks below every existing one, in recordset order."""
        if not self:
            return
        table, field = SQL.identifier(self._table), SQL.identifier(self._rank_field)
        self.flush_model([self._rank_field])
        # The lock makes concurrent appends queue instead of taking the same rank.
        self.env.cr.execute(SQL("SELECT pg_advisory_xact_lock(hashtext(%s))", self._table))
        self.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s t
                   SET %(field)s = top.rank + r.n
                  FROM (SELECT COALESCE(MAX(%(field)s), 0) AS rank FROM %(table)s) top,
                       unnest(%(ids)s::int[]) WITH ORDINALITY AS r(id, n)
                 WHERE t.id = r.id
                """,
                table=table,
                field=field,
                ids=list(self.ids),
            )
        )
        self.invalidate_recordset([self._rank_field])

    def _set_ranks(self):
        """Reorder the records of ``self`` to follow the recordset's order.

        Returns the records whose rank changed.
        """
        self.check_access("write")
        self.flush_model([self._rank_field])
        # One query for existence and current ranks, whatever the number of rows
        # (the ORM would read them in batches of a thousand).
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM %s WHERE id = ANY(%s)",
                SQL.identifier(self._rank_field),
                SQL.identifier(self._table),
                list(self.ids),
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
        moved._on_ranks_changed()
        return moved

    def write(self, vals):
        res = super().write(vals)
        if self._rank_field in vals:
            self._on_ranks_changed()
        return res

    def _on_ranks_changed(self):
        """Hook: the records of ``self`` were given new ranks."""
