from odoo import models
from odoo.tools import SQL


class FulfilmentBookedRowMixin(models.AbstractModel):
    """A row of booking results under the id of the record it describes.

    The database ties the row to its record: a foreign key on ``id`` that
    cascades, so a record deleted by any means (the ORM, a cascade from its
    order, SQL) takes its row along.
    """

    _name = "fulfilment.booked.row.mixin"
    _description = "Booking results of one record"
    _log_access = False
    # The model whose records the rows describe.
    _booked_record_model = None

    def init(self):
        res = super().init()
        if self._abstract or not self._booked_record_model:
            return res
        cr = self.env.cr
        constraint = f"{self._table}_id_fkey"
        cr.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [constraint])
        if cr.fetchone():
            return res
        record_table = SQL.identifier(self.env[self._booked_record_model]._table)
        table = SQL.identifier(self._table)
        # Rows left by records deleted before the key existed.
        cr.execute(
            SQL(
                "DELETE FROM %s r WHERE NOT EXISTS (SELECT 1 FROM %s t WHERE t.id = r.id)",
                table,
                record_table,
            )
        )
        cr.execute(
            SQL(
                "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (id) REFERENCES %s (id) "
                "ON DELETE CASCADE",
                table,
                SQL.identifier(constraint),
                record_table,
            )
        )
        return res
