import { registry } from "@web/core/registry";

// Data from tests/test_tours.py (test_make_to_order_tree): Tour Customer
// Alpha's cabinet is Not available; it is made from panels, themselves made
// from boards, none in stock.
registry.category("web_tour.tours").add("sale_fulfilment_tree_tour", {
    steps: () => [
        {
            content: "Open Alpha's order from the Sales priority",
            trigger: ".o_list_view .o_data_row:contains(Tour Customer Alpha) td[name=name]",
            run: "click",
        },
        {
            content: "Its cabinet line is Not available",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Cabinet) td[name=availability_status]:contains(Not available)",
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
            content: "The wizard promises a date if the cabinet is made",
            trigger:
                ".modal .o_data_row:contains(Tour Cabinet) td[name=promise_date_make]:contains(/20)",
        },
        {
            content: "Made is the earliest option: highlighted",
            trigger:
                ".modal .o_data_row:contains(Tour Cabinet) td[name=promise_date_make].text-success",
        },
        {
            content: "Pick Make to order",
            trigger: ".modal .o_field_widget[name=mode] input[data-value=make_to_order]",
            run: "click",
        },
        {
            content: "And its sub-assemblies",
            trigger: ".modal .o_field_widget[name=with_sub_assemblies] input",
            run: "click",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]:enabled",
            run: "click",
        },
        {
            content: "The manufacturing orders open: the cabinet's and its sub-assemblies'",
            trigger: ".o_list_view .o_data_row:contains(Tour Panel)",
        },
        {
            content: "The boards too, down the tree",
            trigger: ".o_list_view .o_data_row:contains(Tour Board)",
        },
        {
            content: "And the cabinet",
            trigger: ".o_list_view .o_data_row:contains(Tour Cabinet)",
        },
    ],
});
