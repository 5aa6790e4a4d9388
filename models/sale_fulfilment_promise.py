"""Promise dates: when a Not available line could ship under each option, if
chosen now.

- Make: its components' availability (free stock now; else the expected
  supply that covers them; else their own make or buy lead time), then Odoo's
  own lead days of the warehouse's manufacture rule for the BoM (its
  manufacturing lead time and the company's security lead time).
- Buy: Odoo's own lead days of the warehouse's buy rule for the proposed
  vendor (the vendor's delay, the company's purchase lead and days to
  purchase).
- Outsource: the subcontracting BoM's components available, then the buy
  rule's lead days for the subcontractor.

Computed for a whole list of lines at once: the figures of all components
in one pass per warehouse, their supplies' dates in one query per warehouse.
"""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models

OPTIONS = ("make", "buy", "outsource")


class SaleFulfilmentPromise(models.AbstractModel):
    _name = "sale.fulfilment.promise"
    _description = "Sales fulfilment: promise dates of the options"

    @api.model
    def _promise_dates(self, lines):
        """{line id: {"make"|"buy"|"outsource": date or None}} for ``lines``;
        None where the option cannot serve the line."""
        today = fields.Date.context_today(self)
        # sudo: BoMs, vendor lists and stock figures of the lines' products,
        # of which only dates are returned.
        lines = lines.sudo()
        result = {}
        needs = defaultdict(dict)  # warehouse -> {component: quantity}
        plans = {}
        make_boms = lines._fulfilment_boms("make_to_order")
        sub_boms = self._subcontracting_boms(lines)
        exploded = {}
        for line in lines:
            qty = line._fulfilment_open_qty()
            warehouse = line._fulfilment_warehouse()
            plan = {"warehouse": warehouse, "qty": qty}
            make_bom = make_boms.get(line.id)
            if make_bom and make_bom.type == "normal":
                plan["make_bom"] = make_bom
                plan["make_parts"] = self._components(exploded, make_bom, line.product_id, qty)
            sub_bom = sub_boms.get(line.id)
            if sub_bom:
                plan["sub_bom"], plan["sub_partner"] = sub_bom, sub_bom.subcontractor_ids[:1]
                plan["sub_parts"] = self._components(exploded, sub_bom, line.product_id, qty)
            for part, part_qty in plan.get("make_parts", []) + plan.get("sub_parts", []):
                needs[warehouse][part] = needs[warehouse].get(part, 0.0) + part_qty
            plans[line] = plan
        memo = {}  # Odoo's lead days per rule, product and BoM or vendor line
        ready = {
            warehouse: self._components_ready(warehouse, parts, today, memo)
            for warehouse, parts in needs.items()
        }
        for line, plan in plans.items():
            warehouse = plan["warehouse"]
            product = line.product_id
            dates = dict.fromkeys(OPTIONS)
            if "make_bom" in plan:
                start = self._latest(today, ready[warehouse], plan["make_parts"])
                rule = warehouse.manufacture_pull_id
                if start and rule:
                    days = self._lead_days(
                        memo, rule, product, bom=plan["make_bom"], days_to_order=0
                    )
                    dates["make"] = start + timedelta(days=days)
            buy_rule = warehouse.buy_pull_id
            if buy_rule and product.purchase_ok:
                vendor = line._fulfilment_default_partner("buy", plan["qty"])
                if vendor:
                    dates["buy"] = today + timedelta(
                        days=self._buy_days(memo, line, buy_rule, vendor, plan["qty"])
                    )
                if "sub_bom" in plan:
                    start = self._latest(today, ready[warehouse], plan["sub_parts"])
                    if start:
                        dates["outsource"] = start + timedelta(
                            days=self._buy_days(
                                memo, line, buy_rule, plan["sub_partner"], plan["qty"]
                            )
                        )
            result[line.id] = dates
        return result

    def _subcontracting_boms(self, lines):
        """{line id: the subcontracting BoM Outsource would use}, one search
        per company."""
        by_company = defaultdict(lambda: lines.browse())
        for line in lines:
            by_company[line.order_id.company_id] |= line
        found = {}
        for company, company_lines in by_company.items():
            boms = self.env["mrp.bom"]._bom_find(
                company_lines.product_id, company_id=company.id, bom_type="subcontract"
            )
            for line in company_lines:
                if boms.get(line.product_id):
                    found[line.id] = boms[line.product_id]
        return found

    @staticmethod
    def _components(exploded, bom, product, qty):
        """[(component, quantity in its unit)] to make ``qty`` of ``product``,
        kits within exploded (Odoo's ``explode``, once per BoM and product in
        ``exploded``)."""
        key = (bom.id, product.id)
        if key not in exploded:
            _boms, lines = bom.explode(product, 1.0)
            exploded[key] = [
                (
                    bom_line.product_id,
                    bom_line.product_uom_id._compute_quantity(
                        data["qty"], bom_line.product_id.uom_id
                    ),
                )
                for bom_line, data in lines
                if bom_line.product_id.is_storable
            ]
        # Per unit of the BoM's own quantity, in the BoM's unit.
        factor = product.uom_id._compute_quantity(qty, bom.product_uom_id) / (
            bom.product_qty or 1.0
        )
        return [(part, part_qty * factor) for part, part_qty in exploded[key]]

    @staticmethod
    def _latest(today, ready, parts):
        """The day every part is there, or None when one of them cannot be had."""
        days = [ready.get(part) for part, _qty in parts]
        if any(day is None for day in days):
            return None
        return max([today, *days])

    @staticmethod
    def _lead_days(memo, rule, product, **values):
        """Odoo's total lead days of ``rule`` for ``product`` (its
        ``_get_lead_days``, without the horizon of the replenishment report),
        once per rule, product and values in ``memo``."""
        key = (rule.id, product.id, *sorted((k, getattr(v, "id", v)) for k, v in values.items()))
        if key not in memo:
            delays, _texts = rule.with_context(
                bypass_delay_description=True, global_visibility_days=0
            )._get_lead_days(product, **values)
            memo[key] = delays["total_delay"]
        return memo[key]

    def _buy_days(self, memo, line, rule, partner, qty):
        seller = (
            line._fulfilment_seller(partner, qty)
            or line.product_id._get_filtered_sellers(partner_id=partner, quantity=None)[:1]
        )
        return self._lead_days(memo, rule, line.product_id, supplierinfo=seller)

    def _components_ready(self, warehouse, parts, today, memo):
        """{component: the day the wanted quantity of it is there, or None}.

        Free stock (on hand less what is committed) covering the need: today.
        Else, when expected supply covers it (Calculated stock): the latest of
        its open receipts and MOs into the warehouse. Else its own lead time:
        made when it has a bill of materials, else bought.
        """
        products = self.env["product.product"].union(*parts)
        figures = products.with_context(warehouse_id=warehouse.id)
        supply_days = self._supply_days(warehouse, products)
        ready, short = {}, []
        for product in figures:
            need = parts[product]
            free = product.in_stock_qty - product.committed_qty
            rounding = product.uom_id.rounding
            if free - need > -rounding:
                ready[product] = today
            elif product.calculated_stock_qty + product.safety_stock_qty - need > -rounding:
                ready[product] = supply_days.get(product.id, today)
            else:
                short.append(product)
        if short:
            shorts = self.env["product.product"].union(*short)
            boms = self.env["mrp.bom"]._bom_find(
                shorts, company_id=warehouse.company_id.id, bom_type="normal"
            )
            for product in shorts:
                ready[product] = self._lead_day(warehouse, product, boms.get(product), today, memo)
        return ready

    def _supply_days(self, warehouse, products):
        """{product id: the latest date of its open supply into ``warehouse``}."""
        groups = self.env["stock.move"]._read_group(
            [
                ("product_id", "in", products.ids),
                ("state", "not in", ("draft", "done", "cancel")),
                ("location_dest_id", "child_of", warehouse.view_location_id.id),
                ("location_id.warehouse_id", "!=", warehouse.id),
            ],
            ["product_id"],
            ["date:max"],
        )
        return {product.id: day.date() for product, day in groups if day}

    def _lead_day(self, warehouse, product, bom, today, memo):
        """When ``product`` could be had, made (by ``bom``) or bought from
        today, or None."""
        if bom and warehouse.manufacture_pull_id:
            days = self._lead_days(memo, warehouse.manufacture_pull_id, product, bom=bom)
            return today + timedelta(days=days)
        seller = (
            product.with_company(warehouse.company_id)._select_seller(
                quantity=None, uom_id=product.uom_id
            )
            or product._get_filtered_sellers(quantity=None)[:1]
        )
        if seller and warehouse.buy_pull_id and product.purchase_ok:
            days = self._lead_days(memo, warehouse.buy_pull_id, product, supplierinfo=seller)
            return today + timedelta(days=days)
        return None
