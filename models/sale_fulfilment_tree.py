"""Make to order down the bill of materials.

A make-to-order MO whose manufactured component is Not available gets a
child MO for exactly what it misses (``mrp.production.fulfilment_parent_id``),
and, asked for the whole tree, so do the children, down to MAX_TREE_DEPTH
levels, in one transaction. The child's output is promised to its parent's
component (the booking sets it aside for it); the tree is ranked with its
sales order, children just before their parent
(``sale.fulfilment.priority``); a cancelled parent cancels its unstarted
children and releases the started ones.
"""

from collections import defaultdict

from psycopg2.errors import UniqueViolation

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from ..vocabulary import MAX_TREE_DEPTH, MTO_SYNC_CONTEXT, TRUSTED
from .sale_fulfilment_rebook import AFTER_COMMIT_KEY


class SaleFulfilmentTree(models.AbstractModel):
    _name = "sale.fulfilment.tree"
    _description = "Sales fulfilment: make to order down the bill of materials"

    @api.model
    def _check_rights(self):
        if not self.env.user.has_group("mrp.group_mrp_user"):
            raise AccessError(
                self.env._("Making sub-assemblies needs the Manufacturing / User right.")
            )

    @api.model
    def _make_children(self, productions, moves=None, recursive=False):
        """Child MOs for the Not available manufactured components of the
        make-to-order ``productions`` (only ``moves`` among them when given),
        and, ``recursive``, for theirs down the tree. Returns the MOs made.

        Each level is booked in this transaction first: a child is made for
        what its parent's component misses after everything ranked before.
        """
        self._check_rights()
        productions.check_access("write")
        refused = productions.filtered(
            lambda p: (
                p.fulfilment_mode != "make_to_order" or p.state not in ("confirmed", "progress")
            )
        )
        if refused:
            raise UserError(
                self.env._(
                    "Only the components of an open make-to-order manufacturing order can be "
                    "made to order: %(mos)s is not one.",
                    mos=", ".join(refused.mapped("name")),
                )
            )
        Production = self.env["mrp.production"]
        made = Production
        level, only = productions, moves
        for _depth in range(MAX_TREE_DEPTH):
            wanted = self._missing_components(level, only)
            if wanted is None:
                if not made:
                    raise UserError(
                        self.env._(
                            "Other users are booking these components right now; try again "
                            "in a moment."
                        )
                    )
                break
            children = self._create_children(wanted)
            made |= children
            if not recursive or not children:
                break
            level, only = children, None
        if made:
            self.env["sale.fulfilment.priority"]._sync_productions_to_orders()
            self._report(made)
        return made

    def _missing_components(self, productions, moves=None):
        """[(parent, component move, BoM, missing quantity)] of ``productions``:
        their open components that the booking found Not available, made by
        a manufacturing BoM, without an open child yet. None when the booking
        could not run now (others are booking those products)."""
        # sudo: the booking reads and writes for every user's documents; it
        # returns nothing to the caller (as at the end of the transaction).
        self.env["sale.fulfilment.rebook"].sudo()._book_marked()
        queued = self.env.cr.postcommit.data.get(AFTER_COMMIT_KEY) or set()
        candidates = (moves or productions.move_raw_ids).filtered(
            lambda m: (
                m.raw_material_production_id in productions
                and m.state not in ("done", "cancel")
                and m.product_id.is_storable
            )
        )
        if queued.intersection(candidates.product_id.ids):
            return None
        candidates.invalidate_recordset(["fulfilment_status", "fulfilment_missing_qty"])
        candidates = candidates.filtered(
            lambda m: m.fulfilment_status == "not_available" and m.fulfilment_missing_qty > 0
        )
        existing = {
            (child.fulfilment_parent_id.id, child.product_id.id)
            for child in productions.fulfilment_child_ids
            if child.state not in ("done", "cancel")
        }
        by_company = defaultdict(lambda: self.env["stock.move"])
        for move in candidates:
            if (move.raw_material_production_id.id, move.product_id.id) not in existing:
                by_company[move.company_id] |= move
        wanted = []
        for company, company_moves in by_company.items():
            boms = (
                self.env["mrp.bom"]
                .sudo()
                ._bom_find(company_moves.product_id, company_id=company.id, bom_type="normal")
            )
            missing = defaultdict(float)
            for move in company_moves:
                if boms.get(move.product_id):
                    missing[(move.raw_material_production_id, move.product_id)] += (
                        move.fulfilment_missing_qty
                    )
            wanted.extend(
                (parent, product, boms[product], qty) for (parent, product), qty in missing.items()
            )
        return wanted

    def _create_children(self, wanted):
        if not wanted:
            return self.env["mrp.production"]
        vals_list = [
            {
                "product_id": product.id,
                "product_qty": qty,
                "product_uom_id": product.uom_id.id,
                "bom_id": bom.id,
                "picking_type_id": parent.picking_type_id.id,
                "company_id": parent.company_id.id,
                "origin": parent.origin or parent.name,
                "fulfilment_mode": "make_to_order",
                "fulfilment_parent_id": parent.id,
            }
            for parent, product, bom, qty in wanted
        ]
        Production = self.env["mrp.production"].with_context(**{MTO_SYNC_CONTEXT: TRUSTED})
        try:
            with self.env.cr.savepoint():
                children = Production.create(vals_list)
                children.action_confirm()
                self.env.flush_all()
        except UniqueViolation as error:
            raise UserError(
                self.env._(
                    "Another user just made one of these sub-assemblies to order. Reload to see it."
                )
            ) from error
        return children.with_env(self.env)

    def _report(self, children):
        for parent, kids in children.grouped("fulfilment_parent_id").items():
            names = ", ".join(kids.mapped("name"))
            parent.message_post(
                body=self.env._("Sub-assemblies made to order for it: %(mos)s.", mos=names)
            )
            for kid in kids:
                kid.message_post(
                    body=self.env._(
                        "Made to order for %(parent)s, which misses this component.",
                        parent=parent.name,
                    )
                )

    @api.model
    def _release_children(self, productions):
        """``productions`` are cancelled: their unstarted children are
        cancelled too, down the tree; a started one is made to stock."""
        children = productions.fulfilment_child_ids.filtered(
            lambda c: c.state not in ("done", "cancel")
        )
        started = children.filtered(lambda c: c._fulfilment_started())
        for child in started:
            message = self.env._(
                "%(parent)s was cancelled after %(mo)s had started: %(mo)s is now made in "
                "batch, to stock.",
                parent=child.fulfilment_parent_id.name,
                mo=child.name,
            )
            child.with_context(**{MTO_SYNC_CONTEXT: TRUSTED}).write(
                {"fulfilment_parent_id": False, "fulfilment_mode": "make_in_batch"}
            )
            child.message_post(body=message)
        rest = children - started
        if rest:
            rest.with_context(**{MTO_SYNC_CONTEXT: TRUSTED}).action_cancel()
            for child in rest:
                child.message_post(
                    body=self.env._(
                        "Cancelled with %(parent)s, which it was made for.",
                        parent=child.fulfilment_parent_id.name,
                    )
                )
