import { registry } from "@web/core/registry";

// Data from tests/test_tours.py: Tour Customer Beta's lamp (ranked before) is Not
// available, Tour Customer Alpha's desk (ranked after) is In stock. Demo orders
// may stand around them.
registry.category("web_tour.tours").add("sale_fulfilment_group_by_tour", {
    steps: () => [
        {
            content: "In rank order, Beta's Not available order comes before Alpha's",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Beta) ~ .o_data_row:contains(Tour Customer Alpha) td[name=availability_status]:contains(In stock)",
        },
        {
            content: "Sort by Availability",
            trigger: ".o_list_view th.o_column_sortable[data-name=availability_status]",
            run: "click",
        },
        {
            content: "In stock sorts before Not available: Alpha's order comes before Beta's",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Alpha) ~ .o_data_row:contains(Tour Customer Beta) td[name=availability_status]:contains(Not available)",
        },
        {
            content: "Open the search options",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Group by Availability",
            trigger: ".o_group_by_menu .o_menu_item:contains(Availability)",
            run: "click",
        },
        {
            content: "An In stock group",
            trigger: ".o_list_view .o_group_header:contains(In stock)",
        },
        {
            content: "Open the Not available group",
            trigger: ".o_list_view .o_group_header:contains(Not available)",
            run: "click",
        },
        {
            content: "Beta's order is in it",
            trigger: ".o_list_view .o_group_header:contains(Not available) ~ tr.o_data_row:contains(Tour Customer Beta)",
        },
    ],
});
