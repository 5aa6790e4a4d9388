import { registry } from "@web/core/registry";

// Data from tests/test_tours.py: Alpha orders 2 Tour Lamps, none in stock; the
// lamp is bought from Tour Vendor North (first) or Tour Vendor South.
registry.category("web_tour.tours").add("sale_fulfilment_buy_tour", {
    steps: () => [
        {
            content: "Open Alpha's order from the Sales priority",
            trigger: ".o_list_view .o_data_row:contains(Tour Customer Alpha) td[name=name]",
            run: "click",
        },
        {
            content: "The lamp line is Not available",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Lamp) td[name=availability_status]:contains(Not available)",
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
            content: "Pick Buy",
            trigger: ".modal .o_field_widget[name=mode] input[data-value=buy]",
            run: "click",
        },
        {
            content: "The product's first vendor is proposed",
            trigger:
                ".modal .o_data_row:contains(Tour Lamp) td[name=partner_id]:contains(Tour Vendor North)",
            run: "click",
        },
        {
            content: "Choose the other vendor",
            trigger: ".modal .o_data_row.o_selected_row td[name=partner_id] input",
            run: "edit Tour Vendor South",
        },
        {
            content: "Pick it in the dropdown",
            trigger:
                ".modal .o-autocomplete--dropdown-menu .o-autocomplete--dropdown-item:contains(Tour Vendor South)",
            run: "click",
        },
        {
            content: "The vendor is changed",
            trigger:
                ".modal .o_data_row:contains(Tour Lamp) td[name=partner_id] input:value(Tour Vendor South)",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The purchase order opens, at the chosen vendor",
            trigger:
                ".o_action_manager .o_form_view .o_field_widget[name=partner_id]:contains(Tour Vendor South)",
        },
        {
            content: "confirmed",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Purchase Order)",
        },
        {
            content: "for the two lamps",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Lamp) td[name=product_qty]:contains(2.00)",
        },
    ],
});
