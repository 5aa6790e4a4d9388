from collections import defaultdict

from dateutil.relativedelta import relativedelta
from psycopg2.errors import UniqueViolation

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare
from odoo.tools.misc import format_date

from ..vocabulary import (
    AVAILABILITY_STATUSES,
    FULFILMENT_MODES,
    INGREDIENT_STATUSES,
    MTO_SYNC_CONTEXT,
    POLICY_CONTEXT,
    PROCUREMENT_NO_PRICELIST,
    PROCUREMENT_OUTSOURCED,
    PROCUREMENT_SALE_LINES,
    TRUSTED,
    trusted,
)
from .fulfilment_booked_mixin import booked_search
from .sale_fulfilment_rebook import APPENDED, OTHER

BOOKING_HELP = (
    "Open lines book, in the order of their sales order's rank, on-hand stock of the "
    "order's warehouse first, then expected supply (confirmed receipts and manufacturing "
    "orders) in date order. In stock: all of it from stock. Expected: some of it from "
    "expected supply. Not available: some of it could not be booked."
)


# The make-to-order MO's state for people, the most pressing first.
PRODUCTION_STATES = [
    ("blocked", "Blocked"),
    ("not_started", "Not started"),
    ("in_progress", "In progress"),
    ("done", "Done"),
]


class SaleOrderLine(models.Model):
    _name = "sale.order.line"
    _inherit = [
        "sale.order.line",
        "fulfilment.booked.mixin",
        "fulfilment.booking.trigger.mixin",
    ]
    _booked_model = "sale.fulfilment.line.availability"
    _booked_fields = {
        "availability_status": ("status", "not_applicable"),
        "availability_date": ("date", None),
        "missing_qty": ("missing_qty", 0.0),
        "availability_details": ("details", None),
    }
    _booking_inputs = frozenset(
        {"product_id", "product_uom_qty", "product_uom", "display_type", "order_id", "route_id"}
    )

    # Kept beside the line (fulfilment.booked.mixin), yet searchable, sortable
    # and groupable like stored fields.
    availability_status = fields.Selection(
        AVAILABILITY_STATUSES,
        string="Availability",
        compute="_compute_booked_fields",
        search="_search_availability_status",
        help=BOOKING_HELP,
    )
    availability_date = fields.Date(
        string="Available on",
        compute="_compute_booked_fields",
        search="_search_availability_date",
        help="For an Expected line, the date of the latest supply it booked: the day the "
        "whole open quantity is expected to be in stock.",
    )
    missing_qty = fields.Float(
        string="Missing",
        digits="Product Unit of Measure",
        compute="_compute_booked_fields",
        search="_search_missing_qty",
        help="Open quantity, in the product's unit, that neither stock nor expected supply "
        "could cover for this line, given the lines ranked before it.",
    )
    availability_details = fields.Json(compute="_compute_booked_fields")
    fulfilment_mode = fields.Selection(
        FULFILMENT_MODES,
        string="Fulfilment",
        readonly=True,
        copy=False,
        help="How the line is being fulfilled, chosen in the fulfilment wizard: Make to "
        "order (an MO made for this line alone), Make in batch (an MO made to stock), "
        "Buy (a purchase order) or Outsource (a subcontracting purchase order).",
    )
    fulfilment_default_note = fields.Char(
        string="Default fulfilment not applied",
        readonly=True,
        copy=False,
        help="Why the product's default fulfilment could not apply to this line when it "
        "came out Not available; choose an option in the Fulfil wizard.",
    )
    fulfilment_production_ids = fields.Many2many(
        "mrp.production",
        "sale_fulfilment_production_line_rel",
        "sale_line_id",
        "production_id",
        string="Fulfilment MOs",
        readonly=True,
        copy=False,
    )
    fulfilment_purchase_line_ids = fields.Many2many(
        "purchase.order.line",
        "sale_fulfilment_purchase_line_rel",
        "sale_line_id",
        "purchase_line_id",
        string="Fulfilment purchase lines",
        readonly=True,
        copy=False,
    )
    production_state = fields.Selection(
        PRODUCTION_STATES,
        string="Production",
        compute="_compute_production_state",
        help="For a line made to order: its manufacturing order's state. Blocked: not "
        "started and its ingredients are Not available.",
    )
    production_ingredient_availability = fields.Selection(
        INGREDIENT_STATUSES,
        string="Ingredients",
        compute="_compute_production_state",
        help="For a line made to order and not yet made: the availability of its "
        "manufacturing order's ingredients, as the Schedule shows it.",
    )
    fulfilment_position = fields.Integer(
        related="order_id.fulfilment_position", string="Position in Sales priority"
    )
    availability_explanation = fields.Text(
        string="Why",
        compute="_compute_availability_explanation",
        help="What this line booked: from stock, from which expected documents, and what is "
        "missing.",
    )

    _search_availability_status = booked_search("availability_status")
    _search_availability_date = booked_search("availability_date")
    _search_missing_qty = booked_search("missing_qty")

    @api.depends("fulfilment_production_ids.state", "fulfilment_mode")
    def _compute_production_state(self):
        # sudo: the lines' own make-to-order MOs, of which only the state is
        # shown, also to a salesman without Manufacturing rights.
        productions = (
            self.env["mrp.production"]
            .sudo()
            .search(
                [
                    ("sale_line_id", "in", [lid for lid in self._origin.ids if lid]),
                    ("fulfilment_mode", "=", "make_to_order"),
                    ("state", "!=", "cancel"),
                ],
                order="id desc",
            )
        )
        by_line = {}
        for production in productions:
            by_line.setdefault(production.sale_line_id.id, production)
        for line in self:
            production = by_line.get(line._origin.id)
            state = ingredients = False
            if production:
                # Once made, what its ingredients were no longer matters.
                if production.state not in ("done", "to_close"):
                    ingredients = production.ingredient_availability or False
                if production.state == "done":
                    state = "done"
                elif production.state in ("progress", "to_close"):
                    state = "in_progress"
                elif production.ingredient_availability == "not_available":
                    state = "blocked"
                else:
                    state = "not_started"
            line.production_state = state
            line.production_ingredient_availability = ingredients

    @api.depends("availability_details", "availability_status")
    def _compute_availability_explanation(self):
        waiting = self.filtered(
            lambda line: line.id and line.availability_status == "not_available"
        )
        promises = self.env["sale.fulfilment.promise"]._promise_dates(waiting) if waiting else {}
        for line in self:
            text = line._explain_availability()
            promise = line._explain_promise(promises.get(line.id))
            line.availability_explanation = (
                f"{text}. {promise}" if text and promise else text or promise
            )

    def _explain_promise(self, dates):
        """The earliest option for a Not available line: "Could ship on 12 Dec
        if made to order"."""
        known = sorted((day, option) for option, day in (dates or {}).items() if day)
        if not known:
            return ""
        day, option = known[0]
        wording = {
            "make": self.env._("made to order"),
            "buy": self.env._("bought"),
            "outsource": self.env._("outsourced"),
        }
        return self.env._(
            "Could ship on %(date)s if %(option)s.",
            date=self._format_day(fields.Date.to_string(day)),
            option=wording[option],
        )

    def _format_qty(self, value, uom):
        """``value`` with its unit as people write it: 1 Unit, 2 Units, 2.5 kg."""
        number, name = f"{value:g}", uom.name or ""
        # Odoo names its reference unit "Units"; one of it reads "1 Unit".
        if number == "1" and uom == self.env.ref("uom.product_uom_unit", raise_if_not_found=False):
            name = self.env._("Unit")
        return f"{number} {name}".strip()

    def _format_day(self, day):
        """A booked date (ISO text) in the user's language and format."""
        return format_date(self.env, day) if day else self.env._("an unknown date")

    def _explain_kit(self, parts):
        """A kit: what each of its components booked."""
        products = self.env["product.product"].browse([part[0] for part in parts]).exists()
        names = {product.id: product.display_name for product in products}
        labels = dict(self._fields["availability_status"]._description_selection(self.env))
        texts = []
        for product_id, status, missing, day in parts:
            text = f"{names.get(product_id, '?')}: {labels.get(status, status)}"
            if status == "expected" and day:
                text += " " + self.env._("on %(date)s", date=self._format_day(day))
            if missing:
                unit = self.env["product.product"].browse(product_id).uom_id
                text += " " + self.env._("(%(qty)s missing)", qty=self._format_qty(missing, unit))
            texts.append(text)
        return self.env._("Kit, served by its components: %(parts)s", parts="; ".join(texts))

    def _explain_availability(self):
        details = self.availability_details or {}
        unit = self.product_id.uom_id

        def qty(value):
            return self._format_qty(value, unit)

        status = self.availability_status
        if status == "delivered":
            return self.env._("Everything has been delivered.")
        if status == "not_applicable":
            return self.env._("Nothing to book: not a storable product of a confirmed order.")
        if details.get("mto"):
            if status == "in_stock":
                return self.env._(
                    "Made to order by %(mo)s, done: waiting for delivery.", mo=details["mto"]
                )
            return self.env._(
                "Made to order by %(mo)s, planned to finish on %(date)s.",
                mo=details["mto"],
                date=self._format_day(details.get("date")),
            )
        if details.get("kit"):
            return self._explain_kit(details["kit"])
        open_qty = self._fulfilment_open_qty() if self.product_id else 0.0
        from_stock = details.get("stock", open_qty - self.missing_qty)
        parts = []
        if from_stock > 0:
            parts.append(self.env._("%(qty)s from stock", qty=qty(from_stock)))
        for document, _model, _res_id, supply_qty, day in details.get("supplies", ()):
            parts.append(
                self.env._(
                    "%(qty)s from %(document)s expected on %(date)s",
                    qty=qty(supply_qty),
                    document=document,
                    date=self._format_day(day),
                )
            )
        if self.missing_qty:
            parts.append(self.env._("%(qty)s missing", qty=qty(self.missing_qty)))
        return "; ".join(parts)

    def _booking_mark_kinds(self, vals=None, created=False):
        appended = self.env["sale.fulfilment.rebook"]._appended_orders()
        mine = self.browse()
        if appended:
            mine = self.filtered(lambda line: line.order_id.id in appended)
        return {APPENDED: mine, OTHER: self - mine}

    def _booking_products(self):
        # Only confirmed orders book; a quotation's lines (services or not) cost
        # nothing until it is confirmed, which marks its products.
        return self.filtered(
            lambda line: line.order_id.state == "sale" and line.product_id.is_storable
        ).product_id

    def write(self, vals):
        res = super().write(vals)
        if "product_uom_qty" in vals:
            self.filtered(
                lambda line: line.order_id.state == "sale"
            )._sync_make_to_order_productions()
        return res

    # ------------------------------------------------------------------
    # Fulfilment options
    # ------------------------------------------------------------------
    def _fulfilment_open_qty(self):
        """Open quantity in the product's unit."""
        self.ensure_one()
        ordered = self.product_uom._compute_quantity(self.product_uom_qty, self.product_id.uom_id)
        # Delivered from the moves, in the product's unit, as the booking counts
        # it: the line's qty_delivered is rounded in the line's unit.
        outgoing, incoming = self._get_outgoing_incoming_moves()
        outgoing, incoming = (
            moves.filtered(lambda m: m.state == "done") for moves in (outgoing, incoming)
        )
        if outgoing or incoming:
            delivered = sum(outgoing.mapped("product_qty")) - sum(incoming.mapped("product_qty"))
        else:
            delivered = self.product_uom._compute_quantity(
                self.qty_delivered, self.product_id.uom_id
            )
        return ordered - delivered

    def _fulfilment_warehouse(self):
        """The warehouse the line ships from: its own (from its route), else
        the order's. It books there, and its options make and buy there."""
        self.ensure_one()
        return self.warehouse_id or self.order_id.warehouse_id

    def _fulfilment_open_production(self):
        self.ensure_one()
        return (
            self.env["mrp.production"]
            .sudo()
            .search(
                [
                    ("sale_line_id", "=", self.id),
                    ("fulfilment_mode", "=", "make_to_order"),
                    ("state", "not in", ("done", "cancel")),
                ],
                limit=1,
            )
        )

    def _fulfilment_bom(self, mode, partner=None):
        self.ensure_one()
        Bom = self.env["mrp.bom"].sudo()
        company = self.order_id.company_id
        if mode == "outsource":
            return Bom._bom_subcontract_find(
                self.product_id,
                company_id=company.id,
                bom_type="subcontract",
                subcontractor=partner,
            )
        # A kit first: Odoo delivers the product as its components whatever other
        # BoM it has. Then the manufacturing BoM, which a subcontracting BoM of the
        # same product must not hide; else whatever BoM there is, for the message.
        for bom_type in ("phantom", "normal", False):
            bom = Bom._bom_find(self.product_id, company_id=company.id, bom_type=bom_type)[
                self.product_id
            ]
            if bom:
                return bom
        return Bom

    def _fulfilment_default_partner(self, mode, quantity=None):
        """The vendor Odoo's own procurement would pick for ``quantity`` (in the
        product's unit; the line's open quantity by default): the vendor
        list's minimum quantities and dates apply."""
        self.ensure_one()
        if mode == "buy":
            if quantity is None:
                quantity = self._fulfilment_open_qty()
            partner = self._fulfilment_seller(False, quantity).partner_id
            if not partner:
                # Every vendor asks for more than that: the first of them, whose
                # minimum the suggested quantity then meets.
                partner = (
                    self.product_id.with_company(self.order_id.company_id)
                    ._get_filtered_sellers(quantity=None, uom_id=self.product_id.uom_id)[:1]
                    .partner_id
                )
            return partner
        if mode == "outsource":
            boms = (
                self.env["mrp.bom"]
                .sudo()
                .search(
                    self.env["mrp.bom"]._bom_find_domain(
                        self.product_id,
                        company_id=self.order_id.company_id.id,
                        bom_type="subcontract",
                    ),
                    limit=1,
                )
            )
            return boms.subcontractor_ids[:1]
        return self.env["res.partner"]

    def _fulfilment_suggested_quantities(self, mode, partners=None):
        """{line id: quantity to make or buy} for ``mode``, in the product's unit.

        Make to order: the open quantity. Otherwise each line its own missing
        quantity (its open quantity when it misses nothing); the first line of
        a product and warehouse also gets what the product misses beyond that
        (other open lines, safety stock), so that the one MO or PO made for
        them covers the product's Missing quantity, rounded up as the product
        is made or bought (``_fulfilment_round_up``).

        :param partners: {line id: res.partner}, the vendors of Buy and Outsource
        """
        partners = partners or {}
        suggested = {}
        groups = defaultdict(lambda: self.browse())
        for line in self:
            groups[(line.product_id, line._fulfilment_warehouse())] |= line
        for (product, warehouse), lines in groups.items():
            for line in lines:
                open_qty = line._fulfilment_open_qty()
                suggested[line.id] = (
                    open_qty if mode == "make_to_order" else (line.missing_qty or open_qty)
                )
            if mode == "make_to_order":
                continue
            total = sum(suggested[line.id] for line in lines)
            missing = -product.with_context(warehouse_id=warehouse.id).calculated_stock_qty
            wanted = lines[0]._fulfilment_round_up(
                max(total, missing), mode, partners.get(lines[0].id)
            )
            suggested[lines[0].id] += wanted - total
        return suggested

    def _fulfilment_round_up(self, qty, mode, partner=None):
        """``qty`` rounded up the way the product is made or bought in the
        line's warehouse: to the reordering rule's multiple; Make in batch
        also to the BoM's quantity and the product's batch size; Buy and
        Outsource to at least the vendor's minimum."""
        self.ensure_one()
        product = self.product_id
        warehouse = self._fulfilment_warehouse()
        steps = []
        orderpoint = (
            self.env["stock.warehouse.orderpoint"]
            .sudo()
            .search(
                [("product_id", "=", product.id), ("warehouse_id", "=", warehouse.id)],
                limit=1,
            )
        )
        if orderpoint.qty_multiple > 0:
            steps.append(orderpoint.qty_multiple)
        minimum = 0.0
        if mode == "make_in_batch":
            bom = self._fulfilment_bom(mode)
            if bom.type == "normal" and bom.product_qty > 0:
                steps.append(bom.product_uom_id._compute_quantity(bom.product_qty, product.uom_id))
            if product.fulfilment_batch_size > 0:
                steps.append(product.fulfilment_batch_size)
        elif mode in ("buy", "outsource"):
            # quantity=None: a price line whose minimum is above the quantity
            # is exactly the one to respect, not one to filter out.
            sellers = product._get_filtered_sellers(
                partner_id=partner, quantity=None, uom_id=product.uom_id
            )
            minimum = min(
                (
                    seller.product_uom._compute_quantity(seller.min_qty, product.uom_id)
                    for seller in sellers
                ),
                default=0.0,
            )
        rounding = product.uom_id.rounding
        qty = max(qty, minimum)
        # A few passes reach a quantity that is a multiple of every step (their
        # common multiple) when they are whole numbers; stop there anyway.
        for _attempt in range(10):
            before = qty
            for step in steps:
                multiples = qty / step
                whole = round(multiples)
                if float_compare(whole * step, qty, precision_rounding=rounding):
                    qty = (int(multiples) + 1) * step
            if not float_compare(before, qty, precision_rounding=rounding):
                break
        return qty

    def _fulfilment_boms(self, mode):
        """{line id: BoM} for the Make options, in a few searches for all lines:
        a kit first (Odoo delivers a kit as its components whatever else there
        is), then the manufacturing BoM, else any BoM (for the message)."""
        Bom = self.env["mrp.bom"].sudo()
        boms = {}
        by_company = defaultdict(lambda: self.browse())
        for line in self:
            by_company[line.order_id.company_id] |= line
        for company, lines in by_company.items():
            missing = lines
            for bom_type in ("phantom", "normal", False):
                if not missing:
                    break
                found = Bom._bom_find(missing.product_id, company_id=company.id, bom_type=bom_type)
                for line in missing:
                    if found.get(line.product_id):
                        boms[line.id] = found[line.product_id]
                missing = missing.filtered(lambda line, boms=boms: line.id not in boms)
        return boms

    def _fulfilment_open_productions(self):
        """{line id: its open make-to-order MO}, in one search."""
        productions = (
            self.env["mrp.production"]
            .sudo()
            .search(
                [
                    ("sale_line_id", "in", self.ids),
                    ("fulfilment_mode", "=", "make_to_order"),
                    ("state", "not in", ("done", "cancel")),
                ]
            )
        )
        return {production.sale_line_id.id: production for production in productions}

    def _fulfilment_blocked_reason(self, mode, partner=None, bom=None, existing=None):
        """Why ``mode`` cannot apply to this line, or False.

        ``bom`` and ``existing`` (the line's open make-to-order MO) may be given
        when already looked up for many lines at once.
        """
        self.ensure_one()
        order = self.order_id
        if order.company_id not in self.env.companies:
            return self.env._(
                "it belongs to another company (%(company)s)", company=order.company_id.name
            )
        if order.state in ("draft", "sent"):
            return self.env._("the order is a quotation; confirm it first")
        if order.state == "cancel":
            return self.env._("the order is cancelled")
        if order.locked:
            return self.env._("the order is locked")
        if self.display_type or not self.product_id.is_storable:
            return self.env._("it is not a storable product")
        if self._fulfilment_open_qty() <= 0:
            return self.env._("nothing is left to deliver")
        user = self.env.user
        # A product's default fulfilment is the company's policy, applied for
        # whoever confirmed the order: his own rights are not the question.
        policy = trusted(self.env, POLICY_CONTEXT)
        if mode in ("make_to_order", "make_in_batch"):
            if not policy and not user.has_group("mrp.group_mrp_user"):
                return self.env._("making needs the Manufacturing / User right")
            if bom is None:
                bom = self._fulfilment_bom(mode)
            if not bom:
                return self.env._("it has no bill of materials")
            if bom.type == "phantom":
                return self.env._("it has a kit bill of materials")
            if bom.type != "normal":
                return self.env._("it has no manufacturing bill of materials")
            if mode == "make_to_order":
                if existing is None:
                    existing = self._fulfilment_open_production()
                if existing:
                    return self.env._("it already has the make-to-order %(mo)s", mo=existing.name)
        elif mode in ("buy", "outsource"):
            if not policy and not user.has_group("purchase.group_purchase_user"):
                return self.env._("buying needs the Purchase / User right")
            if not self._fulfilment_warehouse().buy_pull_id:
                return self.env._(
                    "the warehouse %(warehouse)s has no Buy rule",
                    warehouse=self._fulfilment_warehouse().name,
                )
            if not self.product_id.purchase_ok:
                return self.env._("it cannot be purchased")
            partner = partner or self._fulfilment_default_partner(mode)
            if mode == "buy" and not partner:
                return self.env._("it has no vendor; choose one")
            if mode == "outsource":
                if not partner:
                    return self.env._("it has no subcontracting bill of materials")
                if not self._fulfilment_bom(mode, partner):
                    return self.env._(
                        "it has no subcontracting bill of materials for %(partner)s",
                        partner=partner.display_name,
                    )
        return False

    def _fulfil(self, mode, quantities=None, partners=None, rfq_only=False):
        """Create what serves the lines of ``self`` in ``mode``.

        :param quantities: {line id: quantity in the product's unit}; the open
            quantity when missing (make to order only takes that)
        :param partners: {line id: res.partner} for Buy and Outsource
        :return: the created (or completed) mrp.production or purchase.order
        """
        if mode not in dict(FULFILMENT_MODES):
            raise UserError(self.env._("Unknown fulfilment option %(mode)s.", mode=mode))
        if not self:
            raise UserError(self.env._("Select at least one sales line to fulfil."))
        quantities = quantities or {}
        partners = partners or {}
        errors = []
        requests = []
        making = mode in ("make_to_order", "make_in_batch")
        boms = self._fulfilment_boms(mode) if making else {}
        open_productions = self._fulfilment_open_productions() if making else {}
        no_bom = self.env["mrp.bom"]
        no_production = self.env["mrp.production"]
        for line in self:
            partner = partners.get(line.id) or line._fulfilment_default_partner(
                mode, quantities.get(line.id)
            )
            reason = line._fulfilment_blocked_reason(
                mode,
                partner,
                bom=boms.get(line.id, no_bom) if making else None,
                existing=open_productions.get(line.id, no_production) if making else None,
            )
            open_qty = line._fulfilment_open_qty() if not reason else 0.0
            qty = quantities.get(line.id, open_qty)
            rounding = line.product_id.uom_id.rounding
            if not reason and float_compare(qty, 0, precision_rounding=rounding) <= 0:
                reason = self.env._("the quantity must be positive")
            if (
                not reason
                and mode == "make_to_order"
                and float_compare(qty, open_qty, precision_rounding=rounding)
            ):
                reason = self.env._(
                    "make to order makes exactly the open quantity (%(qty)s)", qty=open_qty
                )
            if reason:
                errors.append(f"{line.order_id.name} - {line.product_id.display_name}: {reason}")
            requests.append((line, qty, partner, boms.get(line.id)))
        if errors:
            raise UserError(
                self.env._("Nothing was created:\n%(errors)s", errors="\n".join(errors))
            )
        if mode == "make_to_order":
            documents = self._fulfil_make_to_order(requests)
        elif mode == "make_in_batch":
            documents = self._fulfil_make_in_batch(requests)
        else:
            documents = self._fulfil_purchase(requests, mode, rfq_only)
        self.sudo().write({"fulfilment_mode": mode})
        return documents

    def _fulfil_make_to_order(self, requests):
        Production = self.env["mrp.production"]
        vals_list = [
            line._prepare_fulfilment_production_vals(qty, bom=bom)
            for line, qty, _partner, bom in requests
        ]
        deliveries = self._fulfilment_delivery_moves()
        # The MOs' output goes to these deliveries, not to whoever is first.
        deliveries._do_unreserve()
        deliveries.write({"procure_method": "make_to_order"})
        try:
            with self.env.cr.savepoint():
                productions = Production.with_context(**{MTO_SYNC_CONTEXT: TRUSTED}).create(
                    vals_list
                )
                productions.action_confirm()
                self.env.flush_all()
        except UniqueViolation as error:
            raise UserError(
                self.env._(
                    "Another make-to-order manufacturing order was just created for one of "
                    "these lines by someone else. Reload to see it."
                )
            ) from error
        productions.move_finished_ids.move_dest_ids._recompute_state()
        self.env["sale.fulfilment.priority"]._sync_productions_to_orders()
        # Without the sync context: the lock applies to whoever gets them back.
        return productions.with_env(self.env)

    def _fulfilment_delivery_moves(self):
        """The line's first delivery moves still to do (the pick step in multi-step)."""
        return self.move_ids.filtered(
            lambda m: m.state not in ("done", "cancel") and not m.move_orig_ids
        )

    def _prepare_fulfilment_production_vals(self, qty, mode="make_to_order", bom=None):
        self.ensure_one()
        order = self.order_id
        vals = {
            "product_id": self.product_id.id,
            "product_qty": qty,
            "product_uom_id": self.product_id.uom_id.id,
            "bom_id": (bom if bom is not None else self._fulfilment_bom(mode)).id,
            "picking_type_id": self._fulfilment_warehouse().manu_type_id.id,
            "company_id": order.company_id.id,
            "origin": order.name,
            "fulfilment_mode": mode,
            "fulfilment_sale_line_ids": [Command.link(self.id)],
        }
        if mode == "make_to_order":
            vals["sale_line_id"] = self.id
            vals["move_dest_ids"] = [Command.link(m.id) for m in self._fulfilment_delivery_moves()]
        return vals

    def _fulfil_make_in_batch(self, requests):
        """One MO per product and warehouse, for the sum of its lines' quantities."""
        groups = defaultdict(lambda: [self.browse(), 0.0, None])
        for line, qty, _partner, bom in requests:
            group = groups[(line.product_id, line._fulfilment_warehouse())]
            group[0] |= line
            group[1] += qty
            group[2] = bom
        vals_list = []
        for lines, qty, bom in groups.values():
            vals = lines[0]._prepare_fulfilment_production_vals(qty, mode="make_in_batch", bom=bom)
            vals["origin"] = ", ".join(dict.fromkeys(lines.order_id.mapped("name")))
            vals["fulfilment_sale_line_ids"] = [Command.set(lines.ids)]
            vals_list.append(vals)
        productions = self.env["mrp.production"].create(vals_list)
        productions.action_confirm()
        return productions

    def _fulfilment_seller(self, partner, qty):
        """The vendor line Odoo's buy rule would take at ``partner`` (any vendor
        when False) for ``qty`` (in the product's unit) today: its minimum
        quantities, dates and company apply. Empty when none has a price for
        that."""
        self.ensure_one()
        return self.product_id.with_company(self.order_id.company_id)._select_seller(
            partner_id=partner,
            quantity=qty,
            date=fields.Date.context_today(self),
            uom_id=self.product_id.uom_id,
        )

    def _prepare_fulfilment_procurement(self, qty, partner, mode):
        """The procurement Odoo's buy rule of the line's warehouse would run to
        buy ``qty`` (in the product's unit) at ``partner``, with the values its
        ``_run_buy`` adds: (procurement, rule).

        The vendor line is given (``supplierinfo_id``, as a reordering rule gives
        its vendor), so that the vendor the user chose wins. A vendor without a
        price for the product and quantity gets an unsaved vendor line of his:
        no delay, no currency of its own, no price (the purchase line is priced
        as a line typed by hand: at the product's cost); Odoo would otherwise
        fall back on another vendor.
        """
        self.ensure_one()
        product = self.product_id
        company = self.order_id.company_id
        warehouse = self._fulfilment_warehouse()
        rule = warehouse.buy_pull_id
        seller = self._fulfilment_seller(partner, qty)
        values = {
            "supplierinfo_name": partner,
            "company_id": company,
            "warehouse_id": warehouse,
            "priority": "0",
            "propagate_cancel": rule.propagate_cancel,
            PROCUREMENT_SALE_LINES: self,
        }
        if not seller:
            seller = self.env["product.supplierinfo"].new(
                {
                    "partner_id": partner.id,
                    "product_tmpl_id": product.product_tmpl_id.id,
                    "company_id": company.id,
                    "currency_id": False,
                    "delay": 0,
                    "price": 0.0,
                }
            )
            values[PROCUREMENT_NO_PRICELIST] = True
        values["supplierinfo_id"] = values["supplier"] = seller
        if mode == "outsource":
            values[PROCUREMENT_OUTSOURCED] = True
        # Wanted as soon as it can come, as a reordering rule asks for it: the
        # vendor's delay, the purchase security lead time and the days to
        # purchase from now (Odoo's _get_lead_days); the order is placed so
        # that the goods arrive the security lead time before they are needed.
        delays, _descriptions = rule.with_context(bypass_delay_description=True)._get_lead_days(
            product, supplierinfo=seller
        )
        needed = fields.Datetime.now() + relativedelta(days=delays["total_delay"])
        values["date_planned"] = needed - relativedelta(days=delays["security_lead_days"])
        procurement = self.env["procurement.group"].Procurement(
            product,
            qty,
            product.uom_id,
            warehouse.lot_stock_id,
            product.display_name,
            self.order_id.name,
            company,
            values,
        )
        return procurement, rule

    def _fulfil_purchase(self, requests, mode, rfq_only):
        """Buy and Outsource, as Odoo's buy rule buys (purchase_stock's
        ``stock.rule._run_buy``) and with its own methods: procurements grouped
        into purchase orders by ``_make_po_get_domain`` (vendor, company, receipt
        type, buyer, currency; outsourced or not), joining the first draft RFQ
        that matches; orders prepared by ``_prepare_purchase_order``; procurements
        of one product merged, and merged into a line of that product already
        on the RFQ, by ``_merge_procurements``, ``_find_candidate`` and
        ``_update_purchase_order_line``; new lines prepared by
        ``_prepare_purchase_order_line_from_procurement``.

        Unlike ``_run_buy``, which creates as superuser for any procurement,
        the documents are created with the user's own rights: the user asked
        for them, and was checked for Purchase / User.
        """
        Rule = self.env["stock.rule"]
        PurchaseOrder = self.env["purchase.order"]
        PurchaseLine = self.env["purchase.order.line"]
        by_domain = defaultdict(list)
        for line, qty, partner, _bom in requests:
            procurement, rule = line._prepare_fulfilment_procurement(qty, partner, mode)
            company = rule.company_id or procurement.company_id
            domain = rule._make_po_get_domain(company, procurement.values, partner)
            by_domain[domain].append((procurement, rule))
        orders = PurchaseOrder
        for domain, items in by_domain.items():
            procurements, rules = zip(*items, strict=True)
            rule = rules[0]
            company = rule.company_id or procurements[0].company_id
            origins = list(dict.fromkeys(procurement.origin for procurement in procurements))
            order = PurchaseOrder.search(list(domain), limit=1)
            if not order and not procurements[0].values["supplierinfo_name"].buyer_id:
                # A vendor without a designated buyer: Odoo's procurement looks
                # only for RFQs without a buyer (the scheduler's own); a planner
                # expects the draft RFQ a buyer typed for that vendor (its
                # creator as buyer) to be completed, as the rest of the grouping
                # allows.
                order = PurchaseOrder.search(
                    [term for term in domain if term[0] != "user_id"], limit=1
                )
            if order:
                known = (order.origin or "").split(", ")
                origin = ", ".join(dict.fromkeys(k for k in known + origins if k))
                if origin != order.origin:
                    order.origin = origin
            else:
                order = PurchaseOrder.with_company(company).create(
                    rule._prepare_purchase_order(
                        company, origins, [procurement.values for procurement in procurements]
                    )
                )
            candidates = order.order_line.filtered(
                lambda po_line: (
                    not po_line.display_type and po_line.product_uom == po_line.product_id.uom_po_id
                )
            )
            new_lines, unpriced = [], []
            for procurement in Rule._merge_procurements(
                Rule._get_procurements_to_merge(procurements)
            ):
                po_line = candidates.filtered(
                    lambda po_line, product=procurement.product_id: po_line.product_id == product
                )._find_candidate(*procurement)
                if po_line:
                    po_line.write(
                        Rule._update_purchase_order_line(
                            procurement.product_id,
                            procurement.product_qty,
                            procurement.product_uom,
                            company,
                            procurement.values,
                            po_line,
                        )
                    )
                    continue
                new_lines.append(
                    PurchaseLine._prepare_purchase_order_line_from_procurement(*procurement, order)
                )
                unpriced.append(bool(procurement.values.get(PROCUREMENT_NO_PRICELIST)))
                # An earlier order date for the new line moves the order's, as Odoo does.
                order_date = procurement.values["date_planned"] - relativedelta(
                    days=procurement.values["supplier"].delay
                )
                if order_date.date() < order.date_order.date():
                    order.date_order = order_date
            created = PurchaseLine.with_company(company).create(new_lines)
            # No vendor price: Odoo's buy rule writes 0; priced instead the way
            # Odoo prices a line typed by hand (the product's cost).
            PurchaseLine.concat(
                *(po_line for po_line, no_price in zip(created, unpriced, strict=True) if no_price)
            )._compute_price_unit_and_date_planned_and_name()
            orders |= order
        if not rfq_only:
            orders.button_confirm()
        return orders

    def action_open_fulfilment_wizard(self):
        return self.env["sale.order.line.fulfilment"]._action_open(self)

    def action_view_fulfilment_documents(self):
        self.ensure_one()
        productions = self.fulfilment_production_ids
        purchases = self.fulfilment_purchase_line_ids.order_id
        if productions and not purchases:
            return productions._action_open_fulfilment_documents()
        return purchases._action_open_fulfilment_documents()

    def _sync_make_to_order_productions(self):
        """A make-to-order MO follows its line's quantity until it has started."""
        for line in self:
            production = line._fulfilment_open_production()
            if not production:
                continue
            open_qty = line._fulfilment_open_qty()
            rounding = line.product_id.uom_id.rounding
            if not float_compare(production.product_qty, open_qty, precision_rounding=rounding):
                continue
            if production._fulfilment_started():
                production._unlink_from_sale_line(
                    self.env._(
                        "The quantity of %(order)s - %(product)s changed to %(qty)s after "
                        "%(mo)s had started: %(mo)s is now made in batch, to stock.",
                        order=line.order_id.name,
                        product=line.product_id.display_name,
                        qty=line.product_uom_qty,
                        mo=production.name,
                    )
                )
            elif float_compare(open_qty, 0, precision_rounding=rounding) <= 0:
                production.with_context(**{MTO_SYNC_CONTEXT: TRUSTED}).action_cancel()
            else:
                production._fulfilment_set_quantity(open_qty)

    def _release_make_to_order_productions(self):
        """The line is cancelled: its MO is cancelled, or made to stock if started."""
        for line in self:
            production = line._fulfilment_open_production()
            if not production:
                continue
            if production._fulfilment_started():
                production._unlink_from_sale_line(
                    self.env._(
                        "%(order)s was cancelled after %(mo)s had started: %(mo)s is now made "
                        "in batch, to stock.",
                        order=line.order_id.name,
                        mo=production.name,
                    )
                )
            else:
                production.with_context(**{MTO_SYNC_CONTEXT: TRUSTED}).action_cancel()
