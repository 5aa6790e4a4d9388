import { registry } from "@web/core/registry";

// Data from tests/test_one_signal.py: a confirmed order of "Signal Chair" (booked:
// the addon's badge answers) and a quotation of "Signal Stool" (not booked:
// Odoo's forecast icon answers). One answer per line, never two.
registry.category("web_tour.tours").add("sale_fulfilment_one_signal_tour", {
    steps: () => [
        {
            content: "The confirmed order's line shows the addon's badge",
            trigger:
                ".o_field_one2many[name=order_line] .o_data_row:contains(Signal Chair) td[name=availability_status]:contains(Not available)",
        },
        {
            content: "and no forecast icon of its own",
            trigger:
                ".o_field_one2many[name=order_line] .o_data_row:contains(Signal Chair):not(:has(.fa-area-chart))",
        },
    ],
});

registry.category("web_tour.tours").add("sale_fulfilment_one_signal_quotation_tour", {
    steps: () => [
        {
            content: "A quotation's line keeps Odoo's forecast icon",
            trigger:
                ".o_field_one2many[name=order_line] .o_data_row:contains(Signal Stool) a.fa-area-chart:not(.invisible)",
        },
    ],
});
