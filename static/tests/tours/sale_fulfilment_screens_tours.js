import { registry } from "@web/core/registry";

// Data from tests/test_tours.py (TestScreenTours).
const tours = registry.category("web_tour.tours");

// Two open orders of Tour Customer Alpha then Beta: the list and the form
// say where they stand, not the raw rank.
tours.add("sale_fulfilment_position_tour", {
    steps: () => [
        {
            content: "The Sales priority list numbers the orders",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Beta) td[name=fulfilment_position]",
            run() {
                const rows = [...document.querySelectorAll(".o_list_view .o_data_row")];
                const position = (name) =>
                    parseInt(
                        rows
                            .find((row) => row.textContent.includes(name))
                            .querySelector("td[name=fulfilment_position]").textContent
                    );
                if (position("Tour Customer Beta") !== position("Tour Customer Alpha") + 1) {
                    throw new Error("Beta should come right after Alpha in the # column");
                }
            },
        },
        {
            content: "Open Beta's order",
            trigger: ".o_list_view .o_data_row:contains(Tour Customer Beta) td[name=name]",
            run: "click",
        },
        {
            content: "The form says its position among the open orders",
            trigger:
                ".o_form_view .o_field_widget[name=fulfilment_position_label]:contains(open orders)",
        },
    ],
});

// Tour Customer Alpha's desk is made to order, its legs are not in stock.
tours.add("sale_fulfilment_production_tour", {
    steps: () => [
        {
            content: "The Sales priority list shows the order's production is blocked",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Alpha) td[name=production_state]:contains(Blocked)",
        },
        {
            content: "Open Alpha's order",
            trigger: ".o_list_view .o_data_row:contains(Tour Customer Alpha) td[name=name]",
            run: "click",
        },
        {
            content: "The desk line shows its MO is blocked",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Desk) td[name=production_state]:contains(Blocked)",
        },
        {
            content: "... because its ingredients are Not available",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Desk) td[name=production_ingredient_availability]:contains(Not available)",
        },
        {
            content: "Odoo's Manufacturing button lists the MO, and no second button does",
            trigger: ".o_form_view .oe_stat_button[name=action_view_mrp_production]",
            run() {
                if (
                    document.querySelector(
                        ".oe_stat_button[name=action_view_fulfilment_productions]"
                    )
                ) {
                    throw new Error("The MO shows under two smart buttons");
                }
            },
        },
        {
            content: "Open the MO",
            trigger: ".o_form_view .oe_stat_button[name=action_view_mrp_production]",
            run: "click",
        },
        {
            content: "Its component status is the booking's: Not available",
            trigger:
                ".o_form_view .o_field_widget[name=ingredient_availability]:contains(Not available)",
            run() {
                if (document.querySelector(".o_field_widget[name=components_availability]")) {
                    throw new Error("Two component statuses on the MO");
                }
            },
        },
    ],
});

// Alpha orders 2 Tour Desks and 1 Tour Lamp, none in stock.
tours.add("sale_fulfilment_stock_list_tour", {
    steps: () => [
        {
            content: "Open the desk's row: what commits it",
            trigger: ".o_list_view .o_data_row:contains(Tour Desk) td[name=product_id]",
            run: "click",
        },
        {
            content: "Alpha's desk line, Not available",
            trigger:
                ".o_form_view .o_field_widget[name=committed_line_ids] .o_data_row:contains(Tour Customer Alpha) td[name=availability_status]:contains(Not available)",
        },
        {
            content: "Back to the Stock list",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li.breadcrumb-item a",
            run: "click",
        },
        {
            content: "Make the desks from their row",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Desk) button[name=action_fulfil_make]",
            run: "click",
        },
        {
            content: "The wizard opens on Alpha's desk line, Make in batch, 2 suggested",
            trigger:
                ".modal .o_field_widget[name=line_ids] .o_data_row:contains(Tour Desk) td[name=quantity]:contains(2.00)",
        },
        {
            content: "Make in batch is chosen",
            trigger: ".modal .o_field_widget[name=mode] input[data-value=make_in_batch]:checked",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The batch MO opens",
            trigger: ".o_form_view .o_field_widget[name=product_qty]:contains(2.00)",
        },
    ],
});

tours.add("sale_fulfilment_stock_list_buy_tour", {
    steps: () => [
        {
            content: "Buy the lamp from its row",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Lamp) button[name=action_fulfil_buy]",
            run: "click",
        },
        {
            content: "The wizard opens on Alpha's lamp line, Buy, at the lamp's vendor",
            trigger:
                ".modal .o_field_widget[name=line_ids] .o_data_row:contains(Tour Lamp):contains(Tour Vendor North)",
        },
        {
            content: "Buy is chosen",
            trigger: ".modal .o_field_widget[name=mode] input[data-value=buy]:checked",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The purchase order opens",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains(Tour Vendor North)",
        },
    ],
});
