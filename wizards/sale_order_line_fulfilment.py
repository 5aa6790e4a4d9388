from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..vocabulary import FULFILMENT_MODES


class SaleOrderLineFulfilment(models.TransientModel):
    """Gathers the planner's choice; ``sale.order.line._fulfil`` does the work."""

    _name = "sale.order.line.fulfilment"
    _description = "Fulfil sales lines"

    mode = fields.Selection(
        FULFILMENT_MODES,
        string="Fulfil by",
        required=True,
        default="make_to_order",
        help="Make to order: an MO for exactly the line's open quantity, linked to the line "
        "for life. Make in batch: an MO made to stock, for a quantity you choose. Buy: a "
        "purchase order at the vendor. Outsource: a purchase order at a subcontractor who "
        "makes the product from a subcontracting bill of materials.",
    )
    line_ids = fields.One2many("sale.order.line.fulfilment.line", "wizard_id", string="Lines")
    rfq_only = fields.Boolean(
        string="Leave as request for quotation",
        help="Buy and Outsource: keep the purchase order as a request for quotation "
        "instead of confirming it. An RFQ is not expected supply.",
    )
    with_sub_assemblies = fields.Boolean(
        string="And its sub-assemblies",
        help="Make to order: also make to order every manufactured component the new "
        "manufacturing orders miss, and theirs, down the bill of materials (up to 10 "
        "levels), linked to the order they are made for.",
    )
    left_out = fields.Text(readonly=True, help="Selected lines that need nothing.")
    blocked_reasons = fields.Text(
        compute="_compute_blocked_reasons",
        help="Why the chosen option cannot apply to some lines.",
    )
    option_summary = fields.Text(
        compute="_compute_blocked_reasons", help="Which options apply to these lines."
    )

    @api.depends("mode", "line_ids.partner_id", "line_ids.sale_line_id")
    def _compute_blocked_reasons(self):
        for wizard in self:
            lines = [(row.sale_line_id, row.partner_id) for row in wizard.line_ids]
            sale_lines = wizard.line_ids.sale_line_id
            # BoMs and open make-to-order MOs looked up once for all lines.
            boms = sale_lines._fulfilment_boms("make_to_order")
            open_productions = sale_lines._fulfilment_open_productions()
            no_bom, no_production = self.env["mrp.bom"], self.env["mrp.production"]
            summary, blocked = [], ""
            for mode, label in FULFILMENT_MODES:
                making = mode in ("make_to_order", "make_in_batch")
                reasons = []
                for line, partner in lines:
                    chosen = partner if mode == wizard.mode else None
                    reason = line._fulfilment_blocked_reason(
                        mode,
                        chosen or None,
                        bom=boms.get(line.id, no_bom) if making else None,
                        existing=open_productions.get(line.id, no_production) if making else None,
                    )
                    if reason:
                        reasons.append(
                            f"{line.order_id.name} - {line.product_id.display_name}: {reason}"
                        )
                summary.append(
                    f"{label}: "
                    + (
                        self.env._("not possible") + " (" + "; ".join(reasons) + ")"
                        if reasons
                        else self.env._("possible")
                    )
                )
                if mode == wizard.mode:
                    blocked = "\n".join(reasons)
            wizard.blocked_reasons = blocked
            wizard.option_summary = "\n".join(summary)

    @api.onchange("mode")
    def _onchange_mode(self):
        self.line_ids._suggest_quantities(self.mode)
        for row in self.line_ids:
            row.partner_id = row.sale_line_id._fulfilment_default_partner(self.mode, row.quantity)

    @api.model
    def _action_open(self, sale_lines, mode=None):
        """Open the wizard on the open lines among ``sale_lines``."""
        wizard = self.create({"mode": mode or "make_to_order"})
        wizard._load_lines(sale_lines)
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Fulfil"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _load_lines(self, sale_lines):
        open_lines = sale_lines.filtered(
            lambda line: (
                line.product_id.is_storable
                and not line.display_type
                and line.order_id.state == "sale"
                and line._fulfilment_open_qty() > 0
            )
        )
        left_out = sale_lines - open_lines
        if not open_lines:
            raise UserError(self.env._("None of the selected lines has anything left to fulfil."))
        self.write(
            {
                "line_ids": [Command.create({"sale_line_id": line.id}) for line in open_lines],
                # An empty recordset would be written as the text "sale.order.line()".
                "left_out": bool(left_out)
                and self.env._(
                    "Left out, as they need nothing: %(lines)s",
                    lines=", ".join(
                        f"{line.order_id.name} - {line.product_id.display_name or line.name}"
                        for line in left_out
                    ),
                ),
            }
        )
        self.line_ids._suggest_quantities(self.mode)
        for row in self.line_ids:
            row.partner_id = row.sale_line_id._fulfilment_default_partner(self.mode, row.quantity)

    def action_apply(self):
        self.ensure_one()
        sale_lines = self.line_ids.sale_line_id
        documents = sale_lines._fulfil(
            self.mode,
            quantities={row.sale_line_id.id: row.quantity for row in self.line_ids},
            partners={
                row.sale_line_id.id: row.partner_id for row in self.line_ids if row.partner_id
            },
            rfq_only=self.rfq_only,
        )
        if self.mode == "make_to_order" and self.with_sub_assemblies:
            documents |= self.env["sale.fulfilment.tree"]._make_children(documents, recursive=True)
        return documents._action_open_fulfilment_documents()

    @api.model
    def action_open_from_selection(self):
        """Action menu of sales lines and orders."""
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids") or []
        if model == "sale.order":
            lines = self.env["sale.order"].browse(ids).order_line
        else:
            lines = self.env["sale.order.line"].browse(ids)
        return self._action_open(lines)
