import { registry } from "@web/core/registry";

// Data from tests/test_tours.py: the interface in French; one Tour Desk in
// stock, booked by Tour Customer Alpha (ranked first); Tour Customer Beta's
// desk is Not available. Every label checked is the addon's, in French.
registry.category("web_tour.tours").add("sale_fulfilment_french_tour", {
    steps: () => [
        {
            content: "The Sales priority list is titled in French",
            trigger: ".o_breadcrumb:contains(Priorité des ventes)",
        },
        {
            content: "Its Availability column reads Disponibilité",
            trigger: ".o_list_view th[data-name=availability_status]:contains(Disponibilité)",
        },
        {
            content: "Alpha's order books the desk in stock: En stock",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Alpha) td[name=availability_status]:contains(En stock)",
        },
        {
            content: "Beta's order gets nothing: Pas disponible",
            trigger:
                ".o_list_view .o_data_row:contains(Tour Customer Beta) td[name=availability_status]:contains(Pas disponible)",
        },
        {
            content: "Open Beta's order",
            trigger: ".o_list_view .o_data_row:contains(Tour Customer Beta) td[name=name]",
            run: "click",
        },
        {
            content: "Its desk line is Pas disponible",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Desk) td[name=availability_status]:contains(Pas disponible)",
        },
        {
            content: "The line's button reads Approvisionner",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Desk) button[name=action_open_fulfilment_wizard]:contains(Approvisionner)",
        },
        {
            content: "Open the Action menu",
            trigger: ".o_form_view .o_cp_action_menus .dropdown-toggle:has(.fa-cog)",
            run: "click",
        },
        {
            content: "Approvisionner (fabriquer, acheter, sous-traiter)",
            trigger:
                ".o-dropdown--menu .o-dropdown-item:contains('Approvisionner (fabriquer, acheter, sous-traiter)')",
            run: "click",
        },
        {
            content: "The wizard offers the four options in French",
            trigger:
                ".modal .o_field_widget[name=mode]:contains(Fabriquer à la commande):contains(Fabriquer en lot):contains(Acheter):contains(Sous-traiter)",
        },
        {
            content: "Pick Fabriquer à la commande",
            trigger: ".modal .o_field_widget[name=mode] input[data-value=make_to_order]",
            run: "click",
        },
        {
            content: "Appliquer",
            trigger: ".modal button[name=action_apply]:contains(Appliquer)",
            run: "click",
        },
        {
            content: "The manufacturing order opens, Fabriquer à la commande",
            trigger:
                ".o_action_manager .o_form_view .o_field_widget[name=fulfilment_mode]:contains(Fabriquer à la commande)",
        },
        {
            content: "Back to the sales order",
            trigger: ".o_breadcrumb .o_back_button a",
            run: "click",
        },
        {
            content: "The desk line is now Prévu, from its manufacturing order",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Tour Desk) td[name=availability_status]:contains(Prévu)",
        },
    ],
});
