import { registry } from "@web/core/registry";

// Data from tests/test_tours.py: one Tour Desk in stock, booked by Tour
// Customer Alpha (ranked first); Tour Customer Beta's desk is Not available.
registry.category("web_tour.tours").add("sale_fulfilment_priority_tour", {
    steps: () => [
        {
            content: "Alpha's order books the desk in stock",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Alpha) td[name=availability_status]:contains(In stock)",
        },
        {
            content: "Beta's order, ranked after it, gets nothing",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Alpha) ~ .o_data_row:contains(Tour Customer Beta) td[name=availability_status]:contains(Not available)",
        },
        {
            content: "Drag Beta's order to the top of the Sales priority",
            trigger: ".o_list_view .o_data_row:contains(Tour Customer Beta) .o_row_handle",
            run: "drag_and_drop .o_list_view .o_data_row:first",
        },
        {
            content: "Beta's order is now the first of the list",
            trigger:
                ".o_list_view tbody tr.o_data_row:first-child:contains(Tour Customer Beta)",
        },
        {
            content: "Open Alpha's order",
            trigger: ".o_list_view .o_data_row:contains(Tour Customer Alpha) td[name=name]",
            run: "click",
        },
        {
            content: "Its desk line lost the stock to Beta: Not available",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Desk) td[name=availability_status]:contains(Not available)",
        },
        {
            content: "One desk is missing",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Desk) td[name=missing_qty]:contains(1.00)",
        },
        {
            content: "Hover the desk line's status",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Desk) td[name=availability_status] .badge",
            run: "hover",
        },
        {
            content: "It says why: the desk is missing",
            trigger: ".o-tooltip:contains(1 Unit missing)",
        },
    ],
});
