import { registry } from "@web/core/registry";

// Data from tests/test_tours.py: Tour Customer Alpha's desk is Not available
// (Beta's order, ranked first, took the only desk in stock).
registry.category("web_tour.tours").add("sale_fulfilment_make_to_order_tour", {
    steps: () => [
        {
            content: "Open Alpha's order from the Sales priority",
            trigger: ".o_list_view .o_data_row:contains(Tour Customer Alpha) td[name=name]",
            run: "click",
        },
        {
            content: "Its desk line is Not available",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Desk) td[name=availability_status]:contains(Not available)",
        },
        {
            content: "Open the Action menu",
            trigger: ".o_form_view .o_cp_action_menus .dropdown-toggle:has(.fa-cog)",
            run: "click",
        },
        {
            content: "Fulfil the order's open lines",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Fulfil (make, buy, outsource)')",
            run: "click",
        },
        {
            content: "The wizard lists the desk line",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row:contains(Tour Desk)",
        },
        {
            content: "Pick Make to order",
            trigger: ".modal .o_field_widget[name=mode] input[data-value=make_to_order]",
            run: "click",
        },
        {
            content: "Make to order makes exactly the open quantity",
            trigger:
                ".modal .o_data_row:contains(Tour Desk) td[name=quantity]:contains(1.00)",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The manufacturing order opens, made to order",
            trigger:
                ".o_action_manager .o_form_view .o_field_widget[name=fulfilment_mode]:contains(Make to order)",
        },
        {
            content: "It makes the desk",
            trigger: ".o_form_view .o_field_widget[name=product_id]:contains(Tour Desk)",
        },
        {
            content: "Back to the sales order",
            trigger: ".o_breadcrumb .o_back_button a",
            run: "click",
        },
        {
            content: "The desk line is now Expected, from its MO",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Desk) td[name=availability_status]:contains(Expected)",
        },
        {
            content: "Nothing is missing any more",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Desk) td[name=missing_qty]:not(:contains(1.00))",
        },
    ],
});
