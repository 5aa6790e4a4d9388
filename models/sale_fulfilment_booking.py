import json
import logging
from collections import defaultdict

from odoo import api, models
from odoo.tools import SQL

from ..booking import EXPECTED, Pool, Supply
from ..pg_array import pg_array

_logger = logging.getLogger(__name__)
DIRTY_KEY = "sale_fulfilment.dirty_products"
LOCK_KEY = "sale_fulfilment.booking"
# Worst first: an order shows the most severe status among its lines.
SEVERITY = {
    "not_available": 5,
    "expected": 4,
    "in_stock": 3,
    "delivered": 2,
    "not_applicable": 1,
}
OPEN_MO_STATES = ("confirmed", "progress", "to_close")


class SaleFulfilmentBooking(models.AbstractModel):
    """Books stock and expected supply to open sales lines, then MO components.

    Inputs are read for a whole set of products in a constant number of
    queries, the walk itself is ``booking.Pool`` in plain Python, and results
    are written back in bulk, only where they changed, into the narrow tables
    beside the records (``fulfilment.booked.mixin``). Statuses are refreshed
    at the end of each transaction that touched an input, for the touched
    products only (``_mark_products``), and rebuilt entirely by a cron.
    """

    _name = "sale.fulfilment.booking"
    _description = "Sales fulfilment booking"

    # ------------------------------------------------------------------
    # Freshness
    # ------------------------------------------------------------------
    @api.model
    def _mark_products(self, product_ids):
        """Re-book these products when the transaction commits."""
        product_ids = {pid for pid in product_ids if pid}
        if not product_ids:
            return
        data = self.env.cr.precommit.data
        if DIRTY_KEY not in data:
            data[DIRTY_KEY] = set()
            env = self.env
            self.env.cr.precommit.add(lambda: env[self._name]._rebook_dirty())
        data[DIRTY_KEY] |= product_ids

    @api.model
    def _rebook_dirty(self):
        data = self.env.cr.precommit.data
        # Flushing may touch more moves and quants, which marks more products.
        self.env.flush_all()
        while data.get(DIRTY_KEY):
            product_ids = data[DIRTY_KEY]
            data[DIRTY_KEY] = set()
            self.sudo()._rebook(list(product_ids))
            self.env.flush_all()
        data.pop(DIRTY_KEY, None)

    @api.model
    def _cron_rebuild(self):
        """Rebuild everything, unless a rebuild is already running.

        A second rebuild waiting for the first would book from a snapshot taken
        before the first committed and fail to serialize; the running one
        already produces the full result, so the second steps aside.
        """
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [LOCK_KEY])
        if not self.env.cr.fetchone()[0]:
            _logger.info("Availability rebuild skipped: another rebuild is running.")
            return False
        self.sudo()._rebook(None)
        return True

    # ------------------------------------------------------------------
    # Booking
    # ------------------------------------------------------------------
    @api.model
    def _rebook(self, product_ids=None):
        """Book every open line and MO component of ``product_ids`` (all if None)."""
        if product_ids is not None and not product_ids:
            return
        self.env.flush_all()
        cr = self.env.cr
        # Two rebuilds at once would each book from their own snapshot and
        # the last writer would win: queue them instead.
        cr.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [LOCK_KEY])
        pids = None
        if product_ids is not None:
            pids = SQL("ANY(%s::int[])", pg_array(sorted(product_ids)))

        def product_filter(column):
            return SQL("TRUE") if pids is None else SQL("%s = %s", SQL.identifier(*column), pids)

        lines = self._fetch_sale_demands(product_filter)
        components = self._fetch_component_demands(product_filter)
        in_stock, on_hand = self._fetch_on_hand(product_filter)
        supplies, expected_totals = self._fetch_supplies(product_filter)
        rounding = self._fetch_roundings(
            {row["product_id"] for row in lines}
            | {row["product_id"] for row in components}
            | {key[0] for key in on_hand}
            | {key[0] for key in supplies}
        )

        # Done make-to-order output waits in stock for its own line.
        for line in lines:
            if line["mto_state"] and line["mto_waiting_qty"]:
                key = (line["product_id"], line["warehouse_id"])
                on_hand[key] = on_hand.get(key, 0.0) - line["mto_waiting_qty"]

        # Demands as plain (id, quantity) pairs, the shape of booking.Demand:
        # 100,000 named tuples cost more than the walk itself.
        demands = defaultdict(list)
        for line in lines:
            if line["open"] and not line["mto_state"]:
                demands[(line["product_id"], line["warehouse_id"])].append(
                    (line["id"], line["open_qty"])
                )
        component_demands = defaultdict(list)
        for move in components:
            component_demands[(move["product_id"], move["warehouse_id"])].append(
                (move["id"], move["qty"])
            )

        line_results, move_results = {}, {}
        supply_info = {}
        for key in set(demands) | set(component_demands):
            pool_supplies = []
            for supply in supplies.get(key, ()):
                supply_info[supply["id"]] = supply
                pool_supplies.append(Supply(supply["id"], supply["qty"], supply["date"]))
            pool = Pool(max(on_hand.get(key, 0.0), 0.0), pool_supplies, rounding[key[0]])
            for booking in pool.book(demands.get(key, ())):
                line_results[booking.key] = booking
            for booking in pool.book(component_demands.get(key, ())):
                move_results[booking.key] = booking

        if product_ids is None:
            self._delete_orphans()
        self._write_sale_lines(lines, line_results, supply_info)
        self._write_components(components, move_results, product_ids)
        self._write_figures(product_ids, lines, components, in_stock, expected_totals)

    # ------------------------------------------------------------------
    # Gathering
    # ------------------------------------------------------------------
    def _fetch_sale_demands(self, product_filter):
        """Open lines in rank order, and lines whose stored status is stale."""
        self.env.cr.execute(
            SQL(
                """
                SELECT sol.id, sol.order_id, sol.product_id, so.warehouse_id,
                       so.state = 'sale' AND sol.display_type IS NULL
                           AND pt.type = 'consu' AND pt.is_storable AS storable,
                       sol.product_uom_qty / lu.factor * pu.factor AS ordered_qty,
                       sol.qty_delivered / lu.factor * pu.factor AS delivered_qty,
                       a.status AS availability_status, a.date AS availability_date,
                       a.missing_qty, a.details::text AS details,
                       mto.open AS mto_open, mto.date AS mto_date,
                       COALESCE(mto.done_qty, 0) AS mto_done_qty, mto.names AS mto_name
                  FROM sale_order_line sol
                  JOIN sale_order so ON so.id = sol.order_id
                  JOIN product_product pp ON pp.id = sol.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN uom_uom lu ON lu.id = sol.product_uom
                  JOIN uom_uom pu ON pu.id = pt.uom_id
                  LEFT JOIN sale_fulfilment_line_availability a ON a.id = sol.id
                  LEFT JOIN (
                        SELECT mp.sale_line_id,
                               BOOL_OR(mp.state != 'done') AS open,
                               MAX(mp.date_finished) FILTER (WHERE mp.state != 'done') AS date,
                               SUM(mp.product_qty) FILTER (WHERE mp.state = 'done') AS done_qty,
                               STRING_AGG(mp.name, ', ' ORDER BY mp.id) AS names
                          FROM mrp_production mp
                         WHERE mp.fulfilment_mode = 'make_to_order'
                           AND mp.sale_line_id IS NOT NULL
                           AND mp.state != 'cancel'
                         GROUP BY mp.sale_line_id
                  ) mto ON mto.sale_line_id = sol.id
                 WHERE %(filter)s
                   AND (
                        (so.state = 'sale' AND sol.display_type IS NULL
                         AND pt.type = 'consu' AND pt.is_storable
                         AND (sol.qty_delivered < sol.product_uom_qty
                              OR a.status IS DISTINCT FROM 'delivered'))
                        OR a.status IN ('in_stock', 'expected', 'not_available')
                   )
                 ORDER BY so.fulfilment_priority, so.date_order, so.id, sol.sequence, sol.id
                """,
                filter=product_filter(("sol", "product_id")),
            )
        )
        lines = self.env.cr.dictfetchall()
        for line in lines:
            line["open_qty"] = max(line["ordered_qty"] - line["delivered_qty"], 0.0)
            line["open"] = bool(line["storable"] and line["open_qty"] > 0)
            line["mto_state"] = None
            if line["open"] and line["mto_name"]:
                line["mto_state"] = "open" if line["mto_open"] else "done"
            # Made for this line, not delivered yet: in stock, but promised.
            line["mto_waiting_qty"] = min(
                line["open_qty"], max(line["mto_done_qty"] - line["delivered_qty"], 0.0)
            )
        return lines

    def _fetch_component_demands(self, product_filter):
        self.env.cr.execute(
            SQL(
                """
                SELECT m.id, m.raw_material_production_id AS production_id, m.product_id,
                       sl.warehouse_id, m.product_qty AS qty,
                       a.status AS fulfilment_status, a.date AS fulfilment_date,
                       a.missing_qty AS fulfilment_missing_qty
                  FROM stock_move m
                  JOIN mrp_production mp ON mp.id = m.raw_material_production_id
                  JOIN stock_location sl ON sl.id = m.location_id
                  LEFT JOIN sale_fulfilment_move_availability a ON a.id = m.id
                 WHERE %(filter)s
                   AND mp.state IN %(states)s
                   AND m.state NOT IN ('draft', 'done', 'cancel')
                   AND sl.warehouse_id IS NOT NULL
                 ORDER BY mp.schedule_priority, mp.id, m.sequence, m.id
                """,
                filter=product_filter(("m", "product_id")),
                states=OPEN_MO_STATES,
            )
        )
        return self.env.cr.dictfetchall()

    def _fetch_on_hand(self, product_filter):
        """On hand per warehouse, and the pool: less what is reserved for other
        than sales deliveries and MO components."""
        self.env.cr.execute(
            SQL(
                """
                SELECT product_id, warehouse_id, SUM(on_hand), SUM(qty) FROM (
                    SELECT q.product_id, l.warehouse_id, q.quantity AS on_hand, q.quantity AS qty
                      FROM stock_quant q
                      JOIN stock_location l ON l.id = q.location_id
                     WHERE %(quant_filter)s AND l.usage = 'internal'
                       AND l.warehouse_id IS NOT NULL
                    UNION ALL
                    SELECT ml.product_id, l.warehouse_id, 0, -ml.quantity_product_uom
                      FROM stock_move_line ml
                      JOIN stock_move m ON m.id = ml.move_id
                      JOIN stock_location l ON l.id = ml.location_id
                     WHERE %(line_filter)s AND l.usage = 'internal'
                       AND l.warehouse_id IS NOT NULL
                       AND m.state NOT IN ('draft', 'done', 'cancel')
                       AND m.sale_line_id IS NULL
                       AND m.raw_material_production_id IS NULL
                ) stock
                 GROUP BY product_id, warehouse_id
                """,
                quant_filter=product_filter(("q", "product_id")),
                line_filter=product_filter(("ml", "product_id")),
            )
        )
        rows = self.env.cr.fetchall()
        in_stock = {(pid, wid): on_hand for pid, wid, on_hand, _pool in rows}
        pool = {(pid, wid): qty for pid, wid, _on_hand, qty in rows}
        return in_stock, pool

    def _fetch_supplies(self, product_filter):
        """Confirmed incoming moves per warehouse, and the Expected totals.

        Output of open make-to-order MOs counts in Expected but is not in the
        pool: it is promised to its own line.
        """
        self.env.cr.execute(
            SQL(
                """
                SELECT m.id, m.product_id, dl.warehouse_id, m.product_qty AS qty, m.date,
                       COALESCE(po.name, mp.name, sp.name, m.reference) AS document,
                       CASE WHEN po.id IS NOT NULL THEN 'purchase.order'
                            WHEN mp.id IS NOT NULL THEN 'mrp.production'
                            WHEN sp.id IS NOT NULL THEN 'stock.picking' END AS model,
                       COALESCE(po.id, mp.id, sp.id) AS res_id,
                       mp.fulfilment_mode = 'make_to_order' AND mp.sale_line_id IS NOT NULL
                           AS promised
                  FROM stock_move m
                  JOIN stock_location dl ON dl.id = m.location_dest_id
                  JOIN stock_location sl ON sl.id = m.location_id
                  LEFT JOIN purchase_order_line pol ON pol.id = m.purchase_line_id
                  LEFT JOIN purchase_order po ON po.id = pol.order_id
                  LEFT JOIN mrp_production mp ON mp.id = m.production_id
                  LEFT JOIN stock_picking sp ON sp.id = m.picking_id
                 WHERE %(filter)s
                   AND m.state NOT IN ('draft', 'done', 'cancel')
                   AND dl.usage = 'internal' AND dl.warehouse_id IS NOT NULL
                   AND (sl.usage != 'internal' OR sl.warehouse_id IS DISTINCT FROM dl.warehouse_id)
                 ORDER BY m.date, m.id
                """,
                filter=product_filter(("m", "product_id")),
            )
        )
        supplies = defaultdict(list)
        expected = defaultdict(float)
        for row in self.env.cr.dictfetchall():
            key = (row["product_id"], row["warehouse_id"])
            expected[key] += row["qty"]
            row["day"] = row["date"] and str(row["date"].date())
            if not row["promised"]:
                supplies[key].append(row)
        return supplies, expected

    def _fetch_roundings(self, product_ids):
        if not product_ids:
            return {}
        self.env.cr.execute(
            SQL(
                """
                SELECT pp.id, u.rounding
                  FROM product_product pp
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN uom_uom u ON u.id = pt.uom_id
                 WHERE pp.id = ANY(%s::int[])
                """,
                pg_array(sorted(product_ids)),
            )
        )
        return dict(self.env.cr.fetchall())

    # ------------------------------------------------------------------
    # Writing back
    # ------------------------------------------------------------------
    def _write_sale_lines(self, lines, results, supply_info):
        """Write the lines' results beside them, only where they changed; a Not
        applicable line keeps no row."""
        changed, dropped, order_ids = [], [], set()
        for line in lines:
            status, date, missing, details = self._line_result(line, results, supply_info)
            if status == "not_applicable":
                if line["availability_status"]:
                    dropped.append(line["id"])
                    order_ids.add(line["order_id"])
                continue
            # Written the way PostgreSQL prints jsonb, so that unchanged details
            # compare equal as text without parsing 100,000 documents.
            details_text = json.dumps(details, ensure_ascii=False) if details else None
            if (
                status != line["availability_status"]
                or date != line["availability_date"]
                or abs(missing - (line["missing_qty"] or 0.0)) > 1e-9
                or details_text != line["details"]
            ):
                changed.append((line["id"], status, date, missing, details_text))
                order_ids.add(line["order_id"])
        if not (changed or dropped):
            return
        cr = self.env.cr
        if dropped:
            cr.execute(
                SQL(
                    "DELETE FROM sale_fulfilment_line_availability WHERE id = ANY(%s::int[])",
                    pg_array(dropped),
                )
            )
        if changed:
            cr.execute(
                SQL(
                    """
                    INSERT INTO sale_fulfilment_line_availability
                           (id, status, date, missing_qty, details)
                    SELECT id, status, date, missing, details::jsonb
                      FROM unnest(%s::int[], %s::varchar[], %s::date[], %s::float8[], %s::text[])
                           AS v(id, status, date, missing, details)
                        ON CONFLICT (id) DO UPDATE
                       SET status = EXCLUDED.status, date = EXCLUDED.date,
                           missing_qty = EXCLUDED.missing_qty, details = EXCLUDED.details
                    """,
                    *(pg_array(c[i] for c in changed) for i in range(5)),
                )
            )
        self._write_orders(order_ids)
        self.env["sale.order.line"].invalidate_model(
            ["availability_status", "availability_date", "missing_qty", "availability_details"]
        )

    def _delete_orphans(self):
        """Rows of records deleted in SQL, without the ORM's unlink, and of
        components that were consumed since."""
        self.env.cr.execute(
            """
            WITH lines AS (
                DELETE FROM sale_fulfilment_line_availability a
                 WHERE NOT EXISTS (SELECT 1 FROM sale_order_line sol WHERE sol.id = a.id)
            ), orders AS (
                DELETE FROM sale_fulfilment_order_availability a
                 WHERE NOT EXISTS (SELECT 1 FROM sale_order so WHERE so.id = a.id)
            ), moves AS (
                -- Consumed or cancelled components book nothing any more.
                DELETE FROM sale_fulfilment_move_availability a
                 WHERE NOT EXISTS (
                        SELECT 1 FROM stock_move m
                         WHERE m.id = a.id AND m.state NOT IN ('draft', 'done', 'cancel'))
            )
            DELETE FROM sale_fulfilment_production_availability a
             WHERE NOT EXISTS (SELECT 1 FROM mrp_production mp WHERE mp.id = a.id)
            """
        )

    def _line_result(self, line, results, supply_info):
        """Status, date, missing quantity and, when documents are involved, the
        details the line's explanation names (what stock alone explains is not
        stored: the status and the missing quantity say it)."""
        if not line["storable"]:
            return "not_applicable", None, 0.0, None
        if not line["open"]:
            return "delivered", None, 0.0, None
        if line["mto_state"]:
            if line["mto_state"] == "done":
                return "in_stock", None, 0.0, {"mto": line["mto_name"]}
            date = line["mto_date"] and line["mto_date"].date()
            return "expected", date, 0.0, {"mto": line["mto_name"], "date": date and str(date)}
        booking = results[line["id"]]
        if not booking.from_supply:
            return booking.status, None, booking.missing, None
        supplies = []
        for supply_id, qty, _date in booking.from_supply:
            info = supply_info[supply_id]
            supplies.append([info["document"], info["model"], info["res_id"], qty, info["day"]])
        date = booking.date.date() if booking.date and booking.status == EXPECTED else None
        return (
            booking.status,
            date,
            booking.missing,
            {"stock": booking.from_stock, "supplies": supplies},
        )

    def _write_orders(self, order_ids):
        """An order shows the worst status of its lines and, when that is
        Expected, their latest date (a Not available order is not coming on any
        date); a Not applicable order keeps no row."""
        if not order_ids:
            return
        ranks = SQL(
            "CASE a.status %s ELSE 0 END",
            SQL(" ").join(
                SQL("WHEN %s THEN %s", status, rank) for status, rank in SEVERITY.items()
            ),
        )
        self.env.cr.execute(
            SQL(
                """
                WITH worst AS (
                    SELECT o.id,
                           (ARRAY['not_applicable', 'not_applicable', 'delivered',
                                  'in_stock', 'expected', 'not_available'])[MAX(%(ranks)s) + 1]
                               AS status,
                           MAX(a.date) AS date
                      FROM unnest(%(ids)s::int[]) AS o(id)
                      LEFT JOIN sale_order_line sol ON sol.order_id = o.id
                      LEFT JOIN sale_fulfilment_line_availability a ON a.id = sol.id
                     GROUP BY o.id
                ), agg AS (
                    SELECT id, status, CASE WHEN status = 'expected' THEN date END AS date
                      FROM worst
                ), dropped AS (
                    DELETE FROM sale_fulfilment_order_availability oa USING agg
                     WHERE oa.id = agg.id AND agg.status = 'not_applicable'
                )
                INSERT INTO sale_fulfilment_order_availability AS oa (id, status, date)
                SELECT id, status, date FROM agg WHERE status != 'not_applicable'
                    ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, date = EXCLUDED.date
                 WHERE (oa.status, oa.date) IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.date)
                """,
                ranks=ranks,
                ids=pg_array(sorted(order_ids)),
            )
        )
        self.env["sale.order"].invalidate_model(["availability_status", "availability_date"])

    def _write_components(self, components, results, product_ids):
        """Book results of MO components, then the MOs' ingredient availability."""
        changed = []
        for move in components:
            booking = results[move["id"]]
            date = booking.date.date() if booking.date and booking.status == EXPECTED else None
            if (
                booking.status != move["fulfilment_status"]
                or date != move["fulfilment_date"]
                or abs(booking.missing - (move["fulfilment_missing_qty"] or 0.0)) > 1e-9
            ):
                changed.append((move["id"], booking.status, date, booking.missing))
        cr = self.env.cr
        if changed:
            cr.execute(
                SQL(
                    """
                    INSERT INTO sale_fulfilment_move_availability (id, status, date, missing_qty)
                    SELECT * FROM unnest(%s::int[], %s::varchar[], %s::date[], %s::float8[])
                        ON CONFLICT (id) DO UPDATE
                       SET status = EXCLUDED.status, date = EXCLUDED.date,
                           missing_qty = EXCLUDED.missing_qty
                    """,
                    *(pg_array(c[i] for c in changed) for i in range(4)),
                )
            )
            self.env["stock.move"].invalidate_model(
                ["fulfilment_status", "fulfilment_date", "fulfilment_missing_qty"]
            )
        self._write_productions(product_ids)

    def _write_productions(self, product_ids):
        """An MO shows the worst status of its remaining components."""
        if product_ids is None:
            scope = SQL("TRUE")
        else:
            # A semi-join on the moves' product index, not a probe per MO.
            scope = SQL(
                """(mp.product_id = ANY(%(ids)s::int[]) OR mp.id IN (
                        SELECT c.raw_material_production_id FROM stock_move c
                         WHERE c.product_id = ANY(%(ids)s::int[])
                           AND c.raw_material_production_id IS NOT NULL))""",
                ids=pg_array(sorted(product_ids)),
            )
        self.env.cr.execute(
            SQL(
                """
                WITH agg AS (
                    SELECT mp.id,
                           CASE WHEN mp.state NOT IN %(open)s THEN NULL
                                WHEN mp.bom_id IS NULL AND COUNT(m.id) = 0 THEN 'no_recipe'
                                -- Components outside any warehouse (subcontracting)
                                -- are not booked here.
                                WHEN COUNT(m.id) > 0 AND COUNT(a.status) = 0 THEN NULL
                                WHEN BOOL_OR(a.status = 'not_available') THEN 'not_available'
                                WHEN BOOL_OR(a.status = 'expected') THEN 'expected'
                                ELSE 'in_stock' END AS status,
                           MAX(a.date) AS date
                      FROM mrp_production mp
                      LEFT JOIN stock_move m ON m.raw_material_production_id = mp.id
                            AND m.state NOT IN ('draft', 'done', 'cancel')
                      LEFT JOIN sale_fulfilment_move_availability a ON a.id = m.id
                      LEFT JOIN sale_fulfilment_production_availability pa ON pa.id = mp.id
                     WHERE (mp.state IN %(open)s OR pa.id IS NOT NULL)
                       AND %(scope)s
                     GROUP BY mp.id
                ), dropped AS (
                    DELETE FROM sale_fulfilment_production_availability pa USING agg
                     WHERE pa.id = agg.id AND agg.status IS NULL
                )
                INSERT INTO sale_fulfilment_production_availability AS pa (id, status, date)
                SELECT id, status, date FROM agg WHERE status IS NOT NULL
                    ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, date = EXCLUDED.date
                 WHERE (pa.status, pa.date) IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.date)
                """,
                open=OPEN_MO_STATES,
                scope=scope,
            )
        )
        self.env["mrp.production"].invalidate_model(
            ["ingredient_availability", "ingredient_availability_date"]
        )

    def _write_figures(self, product_ids, lines, components, in_stock, expected):
        """Replace the Stock figures of the products, one row per warehouse."""
        committed = defaultdict(float)
        for line in lines:
            if line["open"]:
                committed[(line["product_id"], line["warehouse_id"])] += line["open_qty"]
        for move in components:
            committed[(move["product_id"], move["warehouse_id"])] += move["qty"]
        self.env["sale.fulfilment.stock"]._replace_figures(
            product_ids, in_stock, expected, committed
        )
