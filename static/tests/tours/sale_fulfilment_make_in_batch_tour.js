import { registry } from "@web/core/registry";

// Data from tests/test_tours.py: Alpha orders 2 Tour Desks, Beta 3, none in
// stock, and a reordering rule keeps 5 as safety stock: the product misses 10.
registry.category("web_tour.tours").add("sale_fulfilment_make_in_batch_tour", {
    steps: () => [
        {
            content: "Select Alpha's order",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Alpha) td.o_list_record_selector input",
            run: "click",
        },
        {
            content: "Select Beta's order",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Beta) td.o_list_record_selector input",
            run: "click",
        },
        {
            content: "Open the Action menu",
            trigger: ".o_cp_action_menus .dropdown-toggle:has(.fa-cog)",
            run: "click",
        },
        {
            content: "Fulfil the selected orders",
            trigger: ".o-dropdown--menu .o-dropdown-item:contains('Fulfil (make, buy, outsource)')",
            run: "click",
        },
        {
            content: "The wizard lists both desk lines",
            trigger:
                ".modal .o_field_widget[name=line_ids] .o_data_row:contains(Tour Desk) ~ .o_data_row:contains(Tour Desk)",
        },
        {
            content: "Pick Make in batch",
            trigger: ".modal .o_field_widget[name=mode] input[data-value=make_in_batch]",
            run: "click",
        },
        {
            content: "The first line is suggested its 2 missing plus the 5 of safety stock",
            trigger: ".modal .o_data_row td[name=quantity]:contains(7.00)",
            run: "click",
        },
        {
            content: "The other line keeps its own 3 missing",
            trigger: ".modal .o_data_row:not(.o_selected_row) td[name=quantity]:contains(3.00)",
        },
        {
            content: "Make 6 instead of 7",
            trigger: ".modal .o_data_row.o_selected_row td[name=quantity] input",
            run: "edit 6",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "One manufacturing order opens, made in batch",
            trigger:
                ".o_action_manager .o_form_view .o_field_widget[name=fulfilment_mode]:contains(Make in batch)",
        },
        {
            content: "It makes 6 + 3 desks",
            trigger: ".o_form_view .o_field_widget[name=product_qty]:contains(9.00)",
        },
        {
            content: "for both orders",
            trigger: ".o_form_view .o_field_widget[name=product_id]:contains(Tour Desk)",
        },
    ],
});
