from odoo import models
from odoo.tools.sql import create_index

# Dropped by the uninstall hook (hooks.py).
OPEN_LINES_INDEX = "sale_fulfilment_stock_move_line_open_product_index"


class StockMoveLine(models.Model):
    _inherit = "stock.move.line"

    def init(self):
        res = super().init()
        # Each re-booking reads the reservations of its products' open moves
        # (``sale.fulfilment.booking._fetch_on_hand``). Odoo's index on
        # product_id also holds every line of the product's history, which
        # only grows; open lines stay few.
        create_index(
            self.env.cr,
            OPEN_LINES_INDEX,
            self._table,
            ["product_id"],
            where="state NOT IN ('done', 'cancel')",
        )
        return res
