from odoo import api, fields, models
from odoo.exceptions import AccessError

from .fulfilment_booked_mixin import booked_search
from .sale_fulfilment_priority import SYNC_CONTEXT
from .sale_order_line import AVAILABILITY_STATUSES, BOOKING_HELP

# Fields of an order whose change can move what its lines book.
BOOKING_INPUTS = {"state", "warehouse_id", "company_id", "date_order"}


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "fulfilment.rank.mixin", "fulfilment.booked.mixin"]
    _rank_field = "fulfilment_priority"
    _booked_model = "sale.fulfilment.order.availability"
    _booked_fields = {
        "availability_status": ("status", "not_applicable"),
        "availability_date": ("date", None),
    }

    fulfilment_priority = fields.Integer(
        string="Rank",
        index=True,
        copy=False,
        default=0,
        help="Sales priority: orders with a lower rank book stock and expected supply "
        "first. Drag orders in the Sales priority list to change it; a newly "
        "confirmed order goes to the bottom.",
    )
    # Kept beside the order (fulfilment.booked.mixin), yet searchable, sortable
    # and groupable like stored fields.
    availability_status = fields.Selection(
        AVAILABILITY_STATUSES,
        string="Availability",
        compute="_compute_booked_fields",
        search="_search_availability_status",
        help="The worst availability among the order's lines. " + BOOKING_HELP,
    )
    availability_date = fields.Date(
        string="Available on",
        compute="_compute_booked_fields",
        search="_search_availability_date",
        help="For an Expected order, the date of the latest supply its lines booked: the day "
        "the whole order is expected to be ready to deliver.",
    )

    fulfilment_production_count = fields.Integer(
        string="Fulfilment MOs", compute="_compute_fulfilment_counts"
    )
    fulfilment_purchase_count = fields.Integer(
        string="Fulfilment POs", compute="_compute_fulfilment_counts"
    )

    _search_availability_status = booked_search("availability_status")
    _search_availability_date = booked_search("availability_date")

    @api.depends("order_line.fulfilment_production_ids", "order_line.fulfilment_purchase_line_ids")
    def _compute_fulfilment_counts(self):
        for order in self:
            order.fulfilment_production_count = len(order.order_line.fulfilment_production_ids)
            order.fulfilment_purchase_count = len(
                order.order_line.fulfilment_purchase_line_ids.order_id
            )

    def action_view_fulfilment_productions(self):
        self.ensure_one()
        return self.order_line.fulfilment_production_ids._action_open_fulfilment_documents()

    def action_view_fulfilment_purchases(self):
        self.ensure_one()
        purchases = self.order_line.fulfilment_purchase_line_ids.order_id
        return purchases._action_open_fulfilment_documents()

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        orders.filtered(lambda o: not o.fulfilment_priority)._append_to_ranks()
        return orders

    def write(self, vals):
        res = super().write(vals)
        if BOOKING_INPUTS & set(vals):
            self._mark_for_booking()
        return res

    def unlink(self):
        # The database deletes the lines along, without their unlink().
        line_ids = self.order_line.ids
        res = super().unlink()
        self.env["sale.order.line"]._delete_booked_rows(line_ids)
        return res

    def action_confirm(self):
        res = super().action_confirm()
        self.filtered(lambda o: o.state == "sale")._append_to_ranks()
        return res

    def _action_cancel(self):
        lines = self.order_line
        res = super()._action_cancel()
        lines._release_make_to_order_productions()
        return res

    def action_reserve_in_rank_order(self):
        """Redo Odoo's reservations of these orders' products in rank order.

        Deliveries are reserved by Sales priority, then MO components by Schedule
        rank, Odoo's star first. Picked quantities are left where they are.
        """
        orders = self or self.search([("state", "=", "sale")])
        products = orders.order_line.product_id.filtered("is_storable")
        moves = self.env["stock.move"].search(
            [
                ("product_id", "in", products.ids),
                ("state", "in", ("confirmed", "waiting", "partially_available", "assigned")),
                ("picked", "=", False),
                "|",
                "&",
                ("sale_line_id", "!=", False),
                ("move_orig_ids", "=", False),
                ("raw_material_production_id", "!=", False),
            ]
        )
        moves._do_unreserve()
        moves._action_assign()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Reservations of %(count)s products redone in rank order.",
                    count=len(products),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_rebuild_availability(self):
        """Rebuild every status and figure now, as the scheduled action does."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(self.env._("Only sales administrators can rebuild availability."))
        self.env["sale.fulfilment.booking"]._cron_rebuild()
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def _on_ranks_changed(self):
        self._mark_for_booking()
        if not self.env.context.get(SYNC_CONTEXT):
            self.env["sale.fulfilment.priority"]._sync_productions_to_orders()

    def _mark_for_booking(self):
        self.env["sale.fulfilment.booking"]._mark_products(self.order_line.product_id.ids)
