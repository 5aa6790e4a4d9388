import { registry } from "@web/core/registry";
import { redirect } from "@web/core/utils/urls";

// Data from tests/test_tours.py: Alpha (a Tour Desk) is ranked before Beta (a
// Tour Bookcase); both lines are made to order, so the Schedule has the desk
// MO before the bookcase MO.
registry.category("web_tour.tours").add("sale_fulfilment_schedule_tour", {
    steps: () => [
        {
            content: "In the Sales priority, Alpha comes before Beta",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Alpha) ~ .o_data_row:contains(Tour Customer Beta)",
        },
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button:enabled",
            run: "click",
        },
        {
            content: "Open Manufacturing",
            trigger: '.o_app[data-menu-xmlid="mrp.menu_mrp_root"]',
            run: "click",
        },
        {
            content: "Open the Operations menu",
            trigger: '.o_menu_sections .dropdown-toggle[data-menu-xmlid="mrp.menu_mrp_manufacturing"]',
            run: "click",
        },
        {
            content: "Open the Schedule",
            trigger:
                '.dropdown-item[data-menu-xmlid="sale_fulfilment.mrp_production_menu_schedule"]',
            run: "click",
        },
        {
            content: "The desk MO is scheduled before the bookcase MO",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Desk) ~ .o_data_row:contains(Tour Bookcase)",
        },
        {
            content: "Drag the bookcase MO to the top of the Schedule",
            trigger: ".o_list_view .o_data_row:contains(Tour Bookcase) .o_row_handle",
            run: "drag_and_drop .o_list_view .o_data_row:first",
        },
        {
            content: "The bookcase MO is first",
            trigger: ".o_list_view tbody tr.o_data_row:first-child:contains(Tour Bookcase)",
        },
        {
            content: "Open it (once the new ranks are saved)",
            trigger: ".o_list_view .o_data_row:contains(Tour Bookcase) td[name=name]",
            run: "click",
        },
        {
            content: "It is Beta's make-to-order MO",
            trigger: ".o_form_view .o_field_widget[name=fulfilment_mode]:contains(Make to order)",
        },
        {
            content: "made for Beta's bookcase",
            trigger: ".o_form_view .o_field_widget[name=product_id]:contains(Tour Bookcase)",
        },
        {
            // Sales > Orders needs sale_management's Sales app menu: go by the action.
            content: "Back to the Sales priority",
            trigger: ".o_action_manager .o_form_view",
            run() {
                redirect("/odoo/action-sale_fulfilment.sale_order_action_fulfilment_priority");
            },
        },
        {
            content: "Beta's order followed its MO: it now comes before Alpha",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Beta) ~ .o_data_row:contains(Tour Customer Alpha)",
        },
    ],
});
