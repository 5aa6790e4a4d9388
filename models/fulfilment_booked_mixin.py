import datetime
from operator import ge, gt, le, lt

from odoo import models
from odoo.tools import SQL
from odoo.tools.query import Query

COMPARISONS = {"<": lt, ">": gt, "<=": le, ">=": ge}


def default_may_match(default, op, value):
    """Whether a record without a row, which shows ``default``, may meet
    ``(field, op, value)``; True when unsure."""
    if op in ("=", "!=", "in", "not in"):
        if isinstance(value, (list, tuple, set)):
            values = value
        elif value is None or isinstance(value, (str, int, float, datetime.date)):
            values = [value]
        else:
            return True  # a subquery, for instance
        hit = (False if default is None else default) in [False if v is None else v for v in values]
        return hit if op in ("=", "in") else not hit
    if op in COMPARISONS:
        if default is None:
            return False  # NULL compares to nothing
        if isinstance(default, (int, float)) and isinstance(value, (int, float)):
            return COMPARISONS[op](default, value)
    return True


def booked_search(fname):
    """The search method of the booked field ``fname`` (Odoo passes no field name)."""

    def search(self, operator, value):
        return self._search_booked(fname, operator, value)

    return search


class FulfilmentBookedMixin(models.AbstractModel):
    """Booking results shown as fields, kept in a narrow table beside the model.

    The booking rewrites many statuses at once (every open line after an
    import). Stored on ``sale_order_line`` itself, each status would rewrite a
    wide row and all its indexes, and would contend with users editing other
    orders' lines. Here each record's results live in a row of
    ``_booked_model`` with the record's own id; the fields read that row, and
    ``_field_to_sql`` joins it, so the fields can still be searched, sorted and
    grouped like stored ones. A record without a row shows the defaults.
    """

    _name = "fulfilment.booked.mixin"
    _description = "Booking results kept beside the record"
    # The side model, and {field name: (its column, its value when there is no row)}.
    _booked_model = None
    _booked_fields = {}

    def _compute_booked_fields(self):
        # New records of an onchange show their origin's results.
        ids = sorted({rid for rid in self._origin.ids if rid})
        rows = {}
        if ids:
            columns = [column for column, _default in self._booked_fields.values()]
            self.env.cr.execute(
                SQL(
                    "SELECT r.id, %s FROM %s r LEFT JOIN %s b ON b.id = r.id",
                    SQL(", ").join(SQL.identifier("b", column) for column in columns),
                    self._booked_readable(ids),
                    SQL.identifier(self.env[self._booked_model]._table),
                )
            )
            rows = {row[0]: row[1:] for row in self.env.cr.fetchall()}
            if len(rows) < len(ids):
                # Odoo's own message (or MissingError for deleted records).
                self.browse(ids).check_access("read")
        for record in self:
            row = rows.get(record._origin.id) or ()
            for i, (fname, (_column, default)) in enumerate(self._booked_fields.items()):
                value = row[i] if row else None
                record[fname] = default if value is None else value

    def _booked_readable(self, ids):
        """The records of ``ids`` the user may read, as a subquery ``(id)``.

        The rows are read past the ORM: whoever may not read the records reads
        nothing of them, as with a stored field (their record rules: own
        documents, companies). ``check_access`` evaluates record rules in
        Python (``filtered_domain``): reading the rules' one field
        (``company_id``) fetched every column of the records, a hundred on a
        sales order, at each read of a list. A search applies the same rules
        in SQL, here inside the query of the rows (one query per read of a
        list, not two).
        """
        if self.env.su:
            return SQL("(SELECT unnest(%s::int[]) AS id)", ids)
        readable = self.with_context(active_test=False)._search([("id", "in", ids)])
        return SQL("(%s)", readable.select(SQL.identifier(self._table, "id")))

    def _search_booked(self, fname, operator, value):
        column, default = self._booked_fields[fname]
        if not default_may_match(default, operator, value):
            # Only records with a row can match: search the narrow table alone.
            side = self.env[self._booked_model].sudo()
            return [("id", "in", side._search([(column, operator, value)]))]
        query = Query(self.env, self._table, self._table_sql)
        query.add_where(self._condition_to_sql(self._table, fname, operator, value, query))
        return [("id", "in", query)]

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        if fname not in self._booked_fields:
            return super()._field_to_sql(alias, fname, query, flush)
        if query is None:
            raise ValueError(f"Cannot convert {self._fields[fname]} to SQL without a query")
        column, default = self._booked_fields[fname]
        side = query.make_alias(alias, "booked")
        query.add_join(
            "LEFT JOIN",
            side,
            self.env[self._booked_model]._table,
            SQL("%s = %s", SQL.identifier(side, "id"), SQL.identifier(alias, "id")),
        )
        sql = SQL.identifier(side, column)
        return sql if default is None else SQL("COALESCE(%s, %s)", sql, default)
