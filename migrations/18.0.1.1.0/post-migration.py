"""18.0.1.1.0: booking results moved off the documents into tables beside them.

The old columns would only hold stale copies: drop them, then book everything
once so that the new tables are filled before anyone looks.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

OLD_COLUMNS = {
    "sale_order_line": (
        "availability_status",
        "availability_date",
        "missing_qty",
        "availability_details",
    ),
    "sale_order": ("availability_status", "availability_date"),
    "stock_move": ("fulfilment_status", "fulfilment_date", "fulfilment_missing_qty"),
    "mrp_production": ("ingredient_availability", "ingredient_availability_date"),
}


def migrate(cr, version):
    if not version:
        return
    for table, columns in OLD_COLUMNS.items():
        drops = SQL(", ").join(
            SQL("DROP COLUMN IF EXISTS %s", SQL.identifier(column)) for column in columns
        )
        cr.execute(SQL("ALTER TABLE %s %s", SQL.identifier(table), drops))
    api.Environment(cr, SUPERUSER_ID, {})["sale.fulfilment.booking"]._cron_rebuild()
