from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..vocabulary import (
    INGREDIENT_STATUSES,
    MAX_TREE_DEPTH,
    MTO_SYNC_CONTEXT,
    PRODUCTION_MODES,
    RANK_SYNC_CONTEXT,
    TRUSTED,
    trusted,
)
from .fulfilment_actions import records_action
from .fulfilment_booked_mixin import booked_search


class MrpProduction(models.Model):
    _name = "mrp.production"
    _inherit = [
        "mrp.production",
        "fulfilment.rank.mixin",
        "fulfilment.booked.mixin",
        "fulfilment.booking.trigger.mixin",
    ]
    _rank_manager_group = "mrp.group_mrp_manager"
    _rank_field = "schedule_priority"
    _booked_model = "sale.fulfilment.production.availability"
    _booked_fields = {
        "ingredient_availability": ("status", None),
        "ingredient_availability_date": ("date", None),
    }
    _booking_inputs = frozenset(
        {
            "state",
            "product_id",
            "product_qty",
            "bom_id",
            "date_start",
            "date_finished",
            "sale_line_id",
            "fulfilment_mode",
            "location_src_id",
        }
    )

    schedule_priority = fields.Integer(
        string="Schedule rank",
        index=True,
        copy=False,
        default=0,
        help="Production priority: manufacturing orders with a lower rank book their "
        "components first. Drag orders in the Schedule list to change it; a new "
        "manufacturing order goes to the bottom.",
    )
    fulfilment_mode = fields.Selection(
        PRODUCTION_MODES,
        string="Fulfilment",
        copy=False,
        index=True,
        readonly=True,
        help="Make to order: made for one sales line, which its output is promised to. "
        "Make in batch: made to stock; its output joins the stock any line may book.",
    )
    fulfilment_parent_id = fields.Many2one(
        "mrp.production",
        string="Made for MO",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="Make to order down the bill of materials: the manufacturing order whose "
        "missing component this one makes. It follows that order: its rank, its quantity "
        "while not started, its cancellation.",
    )
    fulfilment_child_ids = fields.One2many(
        "mrp.production",
        "fulfilment_parent_id",
        string="Sub-assemblies made to order",
        readonly=True,
    )
    fulfilment_sale_line_ids = fields.Many2many(
        "sale.order.line",
        "sale_fulfilment_production_line_rel",
        "production_id",
        "sale_line_id",
        string="Made for",
        readonly=True,
        copy=False,
        help="The sales lines this order was created for from the fulfilment wizard.",
    )
    # Kept beside the MO (fulfilment.booked.mixin), yet searchable, sortable and
    # groupable like stored fields.
    ingredient_availability = fields.Selection(
        INGREDIENT_STATUSES,
        string="Ingredients",
        compute="_compute_booked_fields",
        search="_search_ingredient_availability",
        help="Components book stock and expected supply after the sales lines, in "
        "Schedule rank order. In stock: every remaining component is booked from stock. "
        "Expected: some only from expected supply. Not available: some could not be "
        "booked. No recipe: no bill of materials.",
    )
    ingredient_availability_date = fields.Date(
        string="Ingredients expected on",
        compute="_compute_booked_fields",
        search="_search_ingredient_availability_date",
        help="The date of the latest expected supply the components booked.",
    )

    _search_ingredient_availability = booked_search("ingredient_availability")
    _search_ingredient_availability_date = booked_search("ingredient_availability_date")

    def init(self):
        res = super().init()
        self._init_rank_sequence()
        # Two users answering the same line at once get one MO and one error.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS mrp_production_one_open_make_to_order
                ON mrp_production (sale_line_id)
             WHERE fulfilment_mode = 'make_to_order' AND state NOT IN ('done', 'cancel')
            """
        )
        # And one open sub-assembly MO per component product of a parent MO.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS mrp_production_one_open_child_per_component
                ON mrp_production (fulfilment_parent_id, product_id)
             WHERE fulfilment_parent_id IS NOT NULL AND state NOT IN ('done', 'cancel')
            """
        )
        return res

    def _compute_sale_order_count(self):
        res = super()._compute_sale_order_count()
        for production in self:
            if production.fulfilment_sale_line_ids and not production.sale_order_count:
                production.sale_order_count = len(production.fulfilment_sale_line_ids.order_id)
        return res

    def action_view_sale_orders(self):
        if self.fulfilment_sale_line_ids and not self.sale_line_id:
            return records_action(
                self.fulfilment_sale_line_ids.order_id,
                self.env._("Sales orders of %(mo)s", mo=self.name),
            )
        return super().action_view_sale_orders()

    @api.model_create_multi
    def create(self, vals_list):
        if not trusted(self.env, MTO_SYNC_CONTEXT):
            for vals in vals_list:
                if vals.get("fulfilment_mode") == "make_to_order" or (
                    vals.get("sale_line_id") and vals.get("fulfilment_mode")
                ):
                    raise UserError(
                        self.env._(
                            "Make-to-order manufacturing orders are created from the sales "
                            "line, with the fulfilment wizard."
                        )
                    )
        productions = super().create(vals_list)
        new = productions.filtered(lambda p: not p.schedule_priority)
        new._append_to_ranks()
        new._rank_before_what_they_feed()
        return productions

    def _rank_before_what_they_feed(self):
        """An MO made for another MO's component (Odoo's make-to-order chain:
        its output goes to that MO's component move) is scheduled just before
        the MO it feeds. Appended at the bottom, it would be served its own
        components after the MO waiting for it, which cannot start before it
        is done.

        The MOs ranked in between move down one place, in their order; done
        and cancelled MOs keep their ranks.
        """
        # sudo: a permutation of schedule positions among open MOs, possibly
        # of other users' or companies' MOs; nothing of them is returned.
        Production = self.sudo()
        feeds = {}  # feeding MO id: the rank of the first open MO it feeds
        for production in Production.browse(self.ids):
            fed = production.move_dest_ids.raw_material_production_id.filtered(
                lambda p: p.state not in ("done", "cancel") and p.schedule_priority
            )
            first = min(fed.mapped("schedule_priority"), default=None)
            if first is not None and first < production.schedule_priority:
                feeds[production.id] = first
        if not feeds:
            return
        # One window of the Schedule, reordered in one statement: each feeding
        # MO taken out and put back just before the first MO it feeds.
        window = Production.search(
            [
                ("schedule_priority", ">=", min(feeds.values())),
                (
                    "schedule_priority",
                    "<=",
                    max(Production.browse(list(feeds)).mapped("schedule_priority")),
                ),
                ("state", "not in", ("done", "cancel")),
            ],
            order="schedule_priority, id",
        )
        order = []
        for mo in window:
            if mo.id in feeds:
                continue
            order.extend(f for f, rank in feeds.items() if rank == mo.schedule_priority)
            order.append(mo.id)
        Production.browse(order)._set_ranks()

    def write(self, vals):
        if not trusted(self.env, MTO_SYNC_CONTEXT):
            self._check_make_to_order_lock(vals)
        return super().write(vals)

    def _on_ranks_changed(self, reordered=None):
        self._mark_for_booking()
        if not trusted(self.env, RANK_SYNC_CONTEXT) and any(
            p.fulfilment_mode == "make_to_order" and p.sale_line_id for p in self
        ):
            self.env["sale.fulfilment.priority"]._sync_orders_to_productions()

    def _rank_movable_sql(self):
        # A done or cancelled MO has nothing left to schedule.
        return SQL("state NOT IN ('done', 'cancel')")

    def _booking_products(self):
        # A sub-assembly's dates move its ancestors' lines (Expected on the
        # latest date down the tree).
        return (
            self.product_id | self.move_raw_ids.product_id | self._fulfilment_ancestors().product_id
        )

    def _fulfilment_ancestors(self):
        """The MOs above these in their make-to-order trees."""
        ancestors = self.browse()
        parents = self.fulfilment_parent_id
        for _level in range(MAX_TREE_DEPTH):
            if not parents:
                break
            ancestors |= parents
            parents = parents.fulfilment_parent_id - ancestors
        return ancestors

    def _check_make_to_order_lock(self, vals):
        locked = {"product_id", "sale_line_id", "fulfilment_mode", "product_uom_id"}
        if self.filtered(lambda p: p.state in ("draft", "confirmed")):
            locked.add("product_qty")
        if not locked & set(vals):
            return
        for production in self:
            if production.fulfilment_mode != "make_to_order":
                continue
            if production.fulfilment_parent_id and not production.sale_line_id:
                if production.state in ("draft", "confirmed") or (locked - {"product_qty"}) & set(
                    vals
                ):
                    raise UserError(
                        self.env._(
                            "%(mo)s makes a component of %(parent)s to order: its product, "
                            "quantity and link follow that order and cannot be changed here.",
                            mo=production.name,
                            parent=production.fulfilment_parent_id.name,
                        )
                    )
                continue
            if not production.sale_line_id:
                continue
            if production.state in ("draft", "confirmed") or (locked - {"product_qty"}) & set(vals):
                raise UserError(
                    self.env._(
                        "%(mo)s is made to order for %(order)s - %(product)s: its product, "
                        "quantity and link follow the sales line and cannot be changed here. "
                        "Change the sales line instead.",
                        mo=production.name,
                        order=production.sale_line_id.order_id.name,
                        product=production.product_id.display_name,
                    )
                )

    def button_mark_done(self):
        make_to_order = self.filtered(lambda p: p.fulfilment_mode == "make_to_order")
        res = super().button_mark_done()
        make_to_order._fulfilment_adopt_backorders()
        return res

    def _fulfilment_adopt_backorders(self):
        """The backorder of a partly done make-to-order MO makes the rest for the same line.

        Odoo copies ``sale_line_id`` and the delivery it feeds, but not
        ``fulfilment_mode``: without it the backorder's output would join the
        pool while going to this line, and the line could get a second MO. Done
        here, once the original is done, as the database allows one open
        make-to-order MO per line.
        """
        for production in self.filtered(lambda p: p.state == "done" and p.sale_line_id):
            backorders = production.procurement_group_id.mrp_production_ids.filtered(
                lambda p, done=production: (
                    p != done
                    and p.sale_line_id == done.sale_line_id
                    and not p.fulfilment_mode
                    and p.state not in ("done", "cancel")
                )
            )
            backorders.with_context(**{MTO_SYNC_CONTEXT: TRUSTED}).write(
                {
                    "fulfilment_mode": "make_to_order",
                    "fulfilment_sale_line_ids": [Command.link(production.sale_line_id.id)],
                }
            )

    def _fulfilment_started(self):
        self.ensure_one()
        return (
            self.state not in ("draft", "confirmed")
            or bool(self.qty_producing)
            or any(self.move_raw_ids.mapped("picked"))
        )

    def _fulfilment_set_quantity(self, qty):
        """Resize a not started make-to-order MO, components included, and its
        not started sub-assemblies in proportion."""
        self.ensure_one()
        factor = qty / self.product_qty
        self._update_raw_moves(factor)
        for move in self.move_finished_ids.filtered(lambda m: m.state not in ("done", "cancel")):
            move.product_uom_qty = move.product_uom_qty * factor
        self.with_context(**{MTO_SYNC_CONTEXT: TRUSTED}).product_qty = qty
        for child in self.fulfilment_child_ids.filtered(
            lambda c: c.state not in ("done", "cancel") and not c._fulfilment_started()
        ):
            child._fulfilment_set_quantity(child.product_qty * factor)

    def action_cancel(self):
        res = super().action_cancel()
        self.env["sale.fulfilment.tree"]._release_children(
            self.filtered(lambda p: p.state == "cancel")
        )
        return res

    def _unlink_from_sale_line(self, message):
        """Turn a started make-to-order MO into a batch MO, said on both sides."""
        for production in self:
            line = production.sale_line_id
            deliveries = production.move_finished_ids.move_dest_ids.filtered(
                lambda m, line=line: m.sale_line_id == line and m.state not in ("done", "cancel")
            )
            production.move_finished_ids.write(
                {"move_dest_ids": [Command.unlink(m.id) for m in deliveries]}
            )
            deliveries.write({"procure_method": "make_to_stock", "created_production_id": False})
            deliveries._recompute_state()
            production.with_context(**{MTO_SYNC_CONTEXT: TRUSTED}).write(
                {"sale_line_id": False, "fulfilment_mode": "make_in_batch"}
            )
            # The line no longer has an MO of its own: it now books the pool.
            if line.fulfilment_mode == "make_to_order":
                line.sudo().fulfilment_mode = "make_in_batch"
            production.message_post(body=message)
            line.order_id.message_post(body=message)

    def action_fulfilment_make_sub_assemblies(self):
        """Make to order every Not available manufactured component of these
        make-to-order MOs, and theirs, down the tree."""
        made = self.env["sale.fulfilment.tree"]._make_children(self, recursive=True)
        return self._fulfilment_made_notice(made)

    def _fulfilment_made_notice(self, made):
        if not made:
            message = self.env._("No manufactured component is Not available: nothing to make.")
        else:
            message = self.env._("Made to order: %(mos)s.", mos=", ".join(made.mapped("name")))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if made else "info",
                "message": message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _action_open_fulfilment_documents(self):
        return records_action(self, self.env._("Manufacturing orders"))
