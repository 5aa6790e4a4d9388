from odoo.tools import SQL

from .models.stock_move import OPEN_MOVES_INDEX
from .models.stock_move_line import OPEN_LINES_INDEX


def post_init_hook(env):
    """Rank and book the orders that were there before the addon."""
    orders = env["sale.order"].search(
        [("state", "=", "sale"), ("fulfilment_priority", "=", 0)], order="date_order, id"
    )
    orders._append_to_ranks()
    productions = env["mrp.production"].search(
        [("schedule_priority", "=", 0)], order="date_start, id"
    )
    productions._append_to_ranks()
    env["sale.fulfilment.rebook"]._rebuild()


def uninstall_hook(env):
    """Drop what the addon created in the database outside Odoo's models: Odoo
    drops the addon's tables and columns, not an index on its own table nor
    a sequence."""
    for index in (OPEN_MOVES_INDEX, OPEN_LINES_INDEX):
        env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(index)))
    for model in ("sale.order", "mrp.production"):
        env.cr.execute(
            SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(env[model]._rank_sequence()))
        )
