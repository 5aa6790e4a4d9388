from datetime import timedelta

from odoo import Command, fields
from odoo.tests import TransactionCase


class FulfilmentCase(TransactionCase):
    """A small furniture maker: a made table, a bought chair, components."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.customer = cls.env["res.partner"].create({"name": "Customer A"})
        cls.customer_b = cls.env["res.partner"].create({"name": "Customer B"})
        cls.vendor = cls.env["res.partner"].create({"name": "Timber Supplies"})
        cls.subcontractor = cls.env["res.partner"].create({"name": "Contract Upholstery"})
        cls.leg = cls._product("Table leg")
        cls.top = cls._product("Table top")
        cls.table = cls._product("Dining table", sale_ok=True)
        cls.chair = cls._product("Chair", sale_ok=True, purchase_ok=True)
        cls.chair.seller_ids = [Command.create({"partner_id": cls.vendor.id, "price": 40.0})]
        cls.bom = cls.env["mrp.bom"].create(
            {
                "product_tmpl_id": cls.table.product_tmpl_id.id,
                "product_qty": 1,
                "bom_line_ids": [
                    Command.create({"product_id": cls.leg.id, "product_qty": 4}),
                    Command.create({"product_id": cls.top.id, "product_qty": 1}),
                ],
            }
        )

    @classmethod
    def _product(cls, name, **vals):
        return cls.env["product.product"].create(
            {"name": name, "type": "consu", "is_storable": True, **vals}
        )

    @classmethod
    def _stock(cls, product, qty, location=None):
        cls.env["stock.quant"]._update_available_quantity(
            product, location or cls.stock_location, qty
        )

    @classmethod
    def _order(cls, lines, partner=None, confirm=True):
        """``lines``: [(product, qty), ...]."""
        order = cls.env["sale.order"].create(
            {
                "partner_id": (partner or cls.customer).id,
                "warehouse_id": cls.warehouse.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": qty})
                    for product, qty in lines
                ],
            }
        )
        if confirm:
            order.action_confirm()
        return order

    @classmethod
    def _other_company_order(cls, lines):
        """A confirmed order of a second company, in that company's warehouse.

        ``lines``: [(product, qty), ...]."""
        company = cls.env["res.company"].create({"name": "Other furniture Co"})
        warehouse = cls.env["stock.warehouse"].search([("company_id", "=", company.id)])
        order = (
            cls.env["sale.order"]
            .with_company(company)
            .create(
                {
                    "partner_id": cls.customer.id,
                    "company_id": company.id,
                    "warehouse_id": warehouse.id,
                    "order_line": [
                        Command.create({"product_id": product.id, "product_uom_qty": qty})
                        for product, qty in lines
                    ],
                }
            )
        )
        order.action_confirm()
        return order

    def _settle(self):
        """End of transaction, as far as the addon is concerned: pending re-bookings run."""
        self.env.flush_all()
        self.env.cr.precommit.run()

    @classmethod
    def _purchase(cls, product, qty, days=7, partner=None, confirm=True):
        order = cls.env["purchase.order"].create(
            {
                "partner_id": (partner or cls.vendor).id,
                "picking_type_id": cls.warehouse.in_type_id.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_qty": qty,
                            "date_planned": fields.Datetime.now() + timedelta(days=days),
                        }
                    )
                ],
            }
        )
        if confirm:
            order.button_confirm()
        return order

    @classmethod
    def _production(cls, product, qty, days=3, confirm=True, **vals):
        production = cls.env["mrp.production"].create(
            {
                "product_id": product.id,
                "product_qty": qty,
                "picking_type_id": cls.warehouse.manu_type_id.id,
                "date_start": fields.Datetime.now() + timedelta(days=days),
                **vals,
            }
        )
        if confirm:
            production.action_confirm()
        return production

    @classmethod
    def _kit_product(cls, name="Table kit"):
        """A kit: a phantom bill of materials of a table top and four legs."""
        kit = cls._product(name, sale_ok=True)
        cls._kit_bom(kit, [(cls.leg, 4), (cls.top, 1)])
        return kit

    @classmethod
    def _kit_bom(cls, product, components):
        """A kit bill of materials of ``product``: ``components`` [(product, qty)]."""
        return cls.env["mrp.bom"].create(
            {
                "product_tmpl_id": product.product_tmpl_id.id,
                "product_qty": 1,
                "type": "phantom",
                "bom_line_ids": [
                    Command.create({"product_id": component.id, "product_qty": qty})
                    for component, qty in components
                ],
            }
        )

    @classmethod
    def _subcontracted_product(cls, name="Cushion", subcontractor=None, component=None):
        """A purchasable product made by a subcontractor from a subcontracting BoM."""
        product = cls._product(name, sale_ok=True, purchase_ok=True)
        component = component or cls._product(f"{name} fabric")
        cls.env["mrp.bom"].create(
            {
                "product_tmpl_id": product.product_tmpl_id.id,
                "product_qty": 1,
                "type": "subcontract",
                "subcontractor_ids": [Command.set((subcontractor or cls.subcontractor).ids)],
                "bom_line_ids": [Command.create({"product_id": component.id, "product_qty": 2})],
            }
        )
        return product

    def _deliver(self, order, qty=None):
        """Validate the order's delivery for ``qty`` (everything reserved by default)."""
        picking = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        for move in picking.move_ids:
            move.quantity = qty if qty is not None else move.product_uom_qty
            move.picked = True
        picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        return picking

    def _produce(self, production):
        """Stock the components and finish ``production`` for its whole quantity."""
        for move in production.move_raw_ids:
            self._stock(move.product_id, move.product_uom_qty, production.location_src_id)
        production.action_assign()
        production.qty_producing = production.product_qty
        production.move_raw_ids.picked = True
        production.button_mark_done()
        return production


def record_full_bookings(case):
    """From now on, the products of every full booking (``_rebook``; None for
    all) go to the returned list, for tests that tell the full booking from
    the bookings that go on from the pools' state."""
    full = []
    booking = type(case.env["sale.fulfilment.booking"])
    original = booking._rebook

    def spy(model, product_ids=None, kits=None):
        full.append(None if product_ids is None else set(product_ids))
        return original(model, product_ids, kits=kits)

    case.patch(booking, "_rebook", spy)
    return full
