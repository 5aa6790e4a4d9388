from odoo import api, models
from odoo.tools import SQL

from ..vocabulary import MAX_TREE_DEPTH, RANK_SYNC_CONTEXT, TRUSTED

OPEN_MAKE_TO_ORDER = SQL(
    "mp.fulfilment_mode = 'make_to_order' AND mp.state NOT IN ('done', 'cancel')"
)


class SaleFulfilmentPriority(models.AbstractModel):
    """Keeps Sell ranks and Schedule ranks in step, both ways.

    Only make-to-order MOs and the orders they serve take part, and each side
    is reordered among the ranks it already holds: batch MOs and orders
    without make-to-order MOs never move. Each sync is two queries and one
    bulk update whatever the number of orders; the context flag stops the
    echo, so a reorder on one side causes one reorder on the other.
    """

    _name = "sale.fulfilment.priority"
    _description = "Sales and schedule rank sync"

    @api.model
    def _sync_productions_to_orders(self):
        """Order the make-to-order MOs as their orders are, lines together,
        each one's sub-assemblies (make to order down the tree) just before
        it, the deepest first."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH RECURSIVE tree(id, root, depth) AS (
                    SELECT mp.id, mp.id, 0
                      FROM mrp_production mp
                     WHERE %(open)s AND mp.sale_line_id IS NOT NULL
                    UNION ALL
                    SELECT c.id, tree.root, tree.depth + 1
                      FROM mrp_production c
                      JOIN tree ON c.fulfilment_parent_id = tree.id
                     WHERE c.state NOT IN ('done', 'cancel') AND tree.depth < %(depth)s
                )
                SELECT tree.id
                  FROM tree
                  JOIN mrp_production mp ON mp.id = tree.root
                  JOIN sale_order_line sol ON sol.id = mp.sale_line_id
                  JOIN sale_order so ON so.id = sol.order_id
                 ORDER BY so.fulfilment_priority, so.date_order, so.id, sol.sequence, sol.id,
                          mp.id, tree.depth DESC, tree.id
                """,
                open=OPEN_MAKE_TO_ORDER,
                depth=MAX_TREE_DEPTH,
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        productions = self.env["mrp.production"].sudo().with_context(**{RANK_SYNC_CONTEXT: TRUSTED})
        return productions.browse(ids)._set_ranks()

    @api.model
    def _sync_orders_to_productions(self):
        """Order the orders with make-to-order MOs as their first MO is scheduled."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT sol.order_id
                  FROM mrp_production mp
                  JOIN sale_order_line sol ON sol.id = mp.sale_line_id
                 WHERE %s
                 GROUP BY sol.order_id
                 ORDER BY MIN(mp.schedule_priority), sol.order_id
                """,
                OPEN_MAKE_TO_ORDER,
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        orders = self.env["sale.order"].sudo().with_context(**{RANK_SYNC_CONTEXT: TRUSTED})
        moved = orders.browse(ids)._set_ranks()
        # The dragged MO's order now sits where the MO went; its other MOs join it.
        self._sync_productions_to_orders()
        return moved
