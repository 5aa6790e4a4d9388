"""A product's default fulfilment, applied to its lines that come out Not available.

At an order's confirmation the booking runs at once for its products, and
its lines that come out Not available (after higher-ranked orders, stock and
expected supply) get their product's default there, in bulk: one call of the
wizard's own ``_fulfil`` per option and company, and a message on the order.
A line that becomes Not available later is applied by the scheduled action,
which a booking triggers at once for the products that say "At once".
"""

import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup, escape
from psycopg2 import Error as DatabaseError

from odoo import api, fields, models, tools

from ..pg_array import pg_array
from ..vocabulary import FULFILMENT_MODES, POLICY_CONTEXT, TRUSTED
from .sale_fulfilment_rebook import AFTER_COMMIT_KEY, GIVE_WAY, LOCK_LIMIT, Busy

_logger = logging.getLogger(__name__)


class SaleFulfilmentDefaults(models.AbstractModel):
    _name = "sale.fulfilment.defaults"
    _description = "Sales fulfilment: products' default options"

    # ------------------------------------------------------------------
    # Which lines
    # ------------------------------------------------------------------
    @api.model
    def _pending_lines(self, lines=None):
        """Lines a default applies to now: Not available, of a confirmed and
        unlocked order, not yet fulfilled by any option, their product having
        a default. Among ``lines`` when given."""
        domain = [
            ("availability_status", "=", "not_available"),
            ("product_id.fulfilment_default_mode", "!=", False),
            ("fulfilment_mode", "=", False),
            ("order_id.state", "=", "sale"),
            ("order_id.locked", "=", False),
        ]
        if lines is not None:
            if not lines:
                return lines.browse()
            domain.append(("id", "in", lines.ids))
        # sudo: every company's lines for the scheduled action; a user's
        # confirmation passes only the lines of the orders he confirms.
        return self.env["sale.order.line"].sudo().search(domain, order="order_id, id")

    @api.model
    @tools.ormcache()
    def _at_once_products(self):
        """Ids of the products whose default applies at once after a booking
        (cached per worker; cleared when a product's default changes)."""
        self.env.cr.execute(
            """
            SELECT p.id FROM product_product p
              JOIN product_template t ON t.id = p.product_tmpl_id
             WHERE t.fulfilment_default_mode IS NOT NULL
               AND t.fulfilment_default_trigger = 'at_once'
            """
        )
        return frozenset(row[0] for row in self.env.cr.fetchall())

    @api.model
    def _after_booking(self, product_ids):
        """A booking of ``product_ids`` (all when None) is written: where a
        product's default applies at once, the scheduled action runs now."""
        at_once = self._at_once_products()
        if not at_once:
            return
        if product_ids is not None and not at_once.intersection(product_ids):
            return
        self._trigger()

    def _trigger(self, at=None):
        cron = self.env.ref("sale_fulfilment.ir_cron_apply_defaults", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at)

    # ------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------
    @api.model
    def _apply_at_confirmation(self, orders):
        """Book the confirmed ``orders``' products now, then apply their
        products' defaults to the lines that came out Not available."""
        lines = orders.order_line.filtered(
            lambda line: line.product_id.is_storable and line.product_id.fulfilment_default_mode
        )
        if not lines:
            return
        # sudo: the booking reads and writes for every user's documents; it
        # returns nothing to the caller (as at the end of the transaction).
        self.env["sale.fulfilment.rebook"].sudo()._book_marked()
        queued = self.env.cr.postcommit.data.get(AFTER_COMMIT_KEY) or set()
        if queued.intersection(lines.product_id.ids):
            # Others were booking these products: their statuses are known
            # after the commit; the scheduled action applies them then.
            self._trigger()
            lines = lines.filtered(lambda line: line.product_id.id not in queued)
        lines.invalidate_recordset(["availability_status"])
        self._apply(self._pending_lines(lines))

    @api.model
    def _cron_apply(self):
        """The scheduled action: apply every pending line's default.

        The statuses it acts on must be fresh: it takes the products' booking
        locks (only tries: a booking in progress postpones it by a minute) and
        bumps their booking clocks, which fails when a booking committed after
        this transaction's snapshot.
        """
        lines = self._pending_lines()
        if not lines:
            return 0
        products = lines.product_id
        if len(products) > LOCK_LIMIT:
            keep = set(products[:LOCK_LIMIT].ids)
            lines = lines.filtered(lambda line: line.product_id.id in keep)
            products = lines.product_id
            self._trigger()  # the rest right after this run
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                self.env["sale.fulfilment.rebook"]._lock("product", products.ids, with_rebuild=True)
                self.env["sale.fulfilment.booking"]._bump_clocks(products.ids)
        except Busy:
            return self._postpone()
        except DatabaseError as error:
            if error.pgcode not in GIVE_WAY:
                raise
            return self._postpone()
        lines.invalidate_recordset(["availability_status"])
        return len(self._apply(self._pending_lines(lines)))

    def _postpone(self):
        _logger.info("Default fulfilments postponed by a minute: products are being booked.")
        self._trigger(fields.Datetime.now() + timedelta(minutes=1))
        return 0

    # ------------------------------------------------------------------
    # Applying
    # ------------------------------------------------------------------
    @api.model
    def _apply(self, lines):
        """Apply to ``lines`` their products' defaults, in bulk; post what was
        done, or why not, on their orders. Returns the lines fulfilled.

        The default is the company's policy, set on the product by those who
        may edit products, so the confirming user's own Manufacturing and
        Purchase rights are not asked for (``POLICY_CONTEXT``) and the
        documents are made as superuser. It cannot leak: only lines the
        booking found Not available are touched, each in its own company,
        and nothing is returned to the user but a message on his order.
        """
        lines = self._lock_lines(lines)
        if not lines:
            return lines
        lines = lines.sudo().with_context(**{POLICY_CONTEXT: TRUSTED})
        groups = defaultdict(lambda: lines.browse())
        for line in lines:
            groups[(line.order_id.company_id, line.product_id.fulfilment_default_mode)] |= line
        done, outcomes = lines.browse(), {}
        for (company, mode), group in groups.items():
            group = group.with_company(company)
            fit, partners = self._fit(group, mode, outcomes)
            if not fit:
                continue
            quantities = fit._fulfilment_suggested_quantities(mode, partners)
            fit._fulfil(mode, quantities=quantities, partners=partners)
            done |= fit
            for line in fit:
                documents = line.fulfilment_production_ids.filtered(
                    lambda mo: mo.state != "cancel"
                ).mapped("name") + line.fulfilment_purchase_line_ids.order_id.mapped("name")
                outcomes[line] = (mode, ", ".join(documents), False)
        self._report(outcomes)
        return done

    def _fit(self, lines, mode, outcomes):
        """The lines of ``lines`` ``mode`` can serve, and their vendors; the
        others' reasons go to ``outcomes``."""
        making = mode in ("make_to_order", "make_in_batch")
        boms = lines._fulfilment_boms(mode) if making else {}
        productions = lines._fulfilment_open_productions() if making else {}
        fit, partners = lines.browse(), {}
        for line in lines:
            partner = line._fulfilment_default_partner(mode)
            reason = line._fulfilment_blocked_reason(
                mode,
                partner or None,
                bom=boms.get(line.id, self.env["mrp.bom"]) if making else None,
                existing=productions.get(line.id, self.env["mrp.production"]) if making else None,
            )
            if reason:
                outcomes[line] = (mode, False, reason)
                continue
            if partner:
                partners[line.id] = partner
            fit |= line
        return fit, partners

    def _lock_lines(self, lines):
        """``lines`` locked for this transaction, less those another
        transaction is applying or has applied since this one began (a row
        lock that waits or fails): they are its business."""
        if not lines or self._try_lock(lines.ids):
            return lines
        # One by one: only those taken by the other transaction drop out.
        return lines.filtered(lambda line: self._try_lock([line.id]))

    def _try_lock(self, ids):
        """Whether the sales lines ``ids`` could all be locked at once."""
        cr = self.env.cr
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    "SELECT id FROM sale_order_line WHERE id = ANY(%s::int[]) "
                    "ORDER BY id FOR UPDATE NOWAIT",
                    [pg_array(sorted(ids))],
                    log_exceptions=False,
                )
        except DatabaseError as error:
            if error.pgcode not in GIVE_WAY:
                raise
            return False
        return True

    def _report(self, outcomes):
        """One message per order: what each line got, or why not. A line's
        reason is posted once, not at every run of the scheduled action."""
        labels = dict(FULFILMENT_MODES)
        by_order = defaultdict(list)
        for line, (mode, documents, reason) in outcomes.items():
            if reason:
                if line.fulfilment_default_note == reason:
                    continue
                line.fulfilment_default_note = reason
                text = self.env._(
                    "%(product)s: its default, %(mode)s, could not apply: %(reason)s.",
                    product=line.product_id.display_name,
                    mode=labels[mode],
                    reason=reason,
                )
            else:
                if line.fulfilment_default_note:
                    line.fulfilment_default_note = False
                text = self.env._(
                    "%(product)s: %(mode)s (%(documents)s), its default.",
                    product=line.product_id.display_name,
                    mode=labels[mode],
                    documents=documents,
                )
            by_order[line.order_id].append(text)
        for order, texts in by_order.items():
            body = Markup("%s<ul>%s</ul>") % (
                self.env._("Not available after booking:"),
                Markup().join(Markup("<li>%s</li>") % escape(text) for text in texts),
            )
            order.message_post(body=body, message_type="comment", subtype_xmlid="mail.mt_note")
