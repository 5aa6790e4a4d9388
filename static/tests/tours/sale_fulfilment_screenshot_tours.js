import { registry } from "@web/core/registry";

// Used by tests/test_screenshots.py on the demo data (Oak & Co.): each tour
// ends once its screen shows what the screenshot is about.
const tours = registry.category("web_tour.tours");

tours.add("sale_fulfilment_screenshot_priority", {
    steps: () => [
        {
            content: "The ranked orders and their availability",
            trigger:
                ".o_list_view .o_data_row:contains(Hotel Aurora) ~ .o_data_row:contains(Villa Rosa) td[name=availability_status]:contains(Not available)",
        },
    ],
});

tours.add("sale_fulfilment_screenshot_order", {
    steps: () => [
        {
            content: "The table line is Expected from the table MO",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Oak dining table) td[name=availability_status]:contains(Expected)",
        },
        {
            content: "The chair line misses 2 chairs: hover its status",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Windsor chair) td[name=availability_status] .badge:contains(Not available)",
            run: "hover",
        },
        {
            content: "Why: what it booked, from which PO, and what is missing",
            trigger: ".o-tooltip:contains(missing)",
        },
    ],
});

tours.add("sale_fulfilment_screenshot_wizard", {
    steps: () => [
        {
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Windsor chair) td[name=availability_status]:contains(Not available)",
        },
        {
            trigger: ".o_form_view .o_cp_action_menus .dropdown-toggle:has(.fa-cog)",
            run: "click",
        },
        {
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Fulfil (make, buy, outsource)')",
            run: "click",
        },
        {
            content: "Buy",
            trigger: ".modal .o_field_widget[name=mode] input[data-value=buy]",
            run: "click",
        },
        {
            content: "The table is made, not bought: leave it out",
            trigger: ".modal .o_data_row:contains(Oak dining table) .o_list_record_remove",
            run: "click",
        },
        {
            content: "The chairs: 2 from Nordic Chairs Ltd",
            trigger:
                ".modal .o_data_row:contains(Windsor chair) td[name=partner_id]:contains(Nordic Chairs Ltd)",
        },
        {
            trigger: ".modal:not(:has(.o_data_row:contains(Oak dining table))) button[name=action_apply]",
        },
    ],
});

tours.add("sale_fulfilment_screenshot_stock", {
    steps: () => [
        {
            content: "Stock figures per product",
            trigger: ".o_list_view .o_data_row:contains(Windsor chair) td[name=calculated_stock_qty]",
        },
    ],
});

tours.add("sale_fulfilment_screenshot_schedule", {
    steps: () => [
        {
            content: "The sideboard's make-to-order MO, its doors missing",
            trigger:
                ".o_list_view .o_data_row:contains(Oak sideboard) td[name=ingredient_availability]:contains(Not available)",
        },
    ],
});
