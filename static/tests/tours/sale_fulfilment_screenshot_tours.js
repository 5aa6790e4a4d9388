import { registry } from "@web/core/registry";

// Used by tests/test_screenshots.py on the demo data (Oak & Co.): each tour
// ends once its screen shows what the screenshot is about.
const tours = registry.category("web_tour.tours");

/**
 * A step that fails when, in the list under ``scope``, a column header, a
 * badge or a value other than free text (names, references, notes may be
 * shortened; statuses, dates and quantities may not) is cut off at the
 * browser's width, or when columns are pushed out of sight to the right. The
 * tests run it at 1366 and 1920 pixels wide.
 */
function nothingCutOff(scope) {
    return {
        content: `Nothing cut off in ${scope}`,
        trigger: `${scope} .o_data_row`,
        run() {
            // An element cuts its text when its content is wider than its box;
            // inline elements have no box (clientWidth 0): their block parent counts.
            const cuts = (el) => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1;
            const cutWithin = (el) => cuts(el) || [...el.querySelectorAll("*")].some(cuts);
            const cut = [];
            const list = document.querySelector(scope);
            for (const label of list.querySelectorAll("thead th .d-flex > span.text-truncate")) {
                if (cuts(label)) {
                    cut.push(`header "${label.textContent.trim()}"`);
                }
            }
            for (const cell of list.querySelectorAll(".o_data_row > td.o_data_cell")) {
                const badge = cell.querySelector(".badge");
                const freeText = cell.matches(".o_list_char, .o_list_many2one, .o_list_text");
                if ((badge || !freeText) && cutWithin(cell)) {
                    cut.push(`${cell.getAttribute("name")} "${cell.textContent.trim()}"`);
                }
            }
            const table = list.querySelector(".o_list_table").parentElement;
            if (cuts(table)) {
                const hidden = [...list.querySelectorAll("thead th")].filter(
                    (th) => th.getBoundingClientRect().right > table.getBoundingClientRect().right + 1
                );
                const widths = [...list.querySelectorAll("thead th")].map(
                    (th) => `${th.textContent.trim()} ${Math.round(th.getBoundingClientRect().width)}px`
                );
                cut.push(
                    `columns out of sight: ${hidden.map((th) => th.textContent.trim()).join(", ")} ` +
                        `(${table.clientWidth}px shown, columns: ${widths.join(", ")})`
                );
            }
            if (cut.length) {
                throw new Error(
                    `Cut off at ${window.innerWidth}px wide in ${scope}: ${cut.join("; ")}`
                );
            }
        },
    };
}

tours.add("sale_fulfilment_screenshot_priority", {
    steps: () => [
        {
            content: "The ranked orders and their availability",
            trigger:
                ".o_list_view .o_data_row:contains(Hotel Aurora) ~ .o_data_row:contains(Villa Rosa) td[name=availability_status]:contains(Not available)",
        },
        nothingCutOff(".o_list_view"),
    ],
});

tours.add("sale_fulfilment_screenshot_order", {
    steps: () => [
        {
            content: "The table line is Expected from the table MO",
            trigger:
                ".o_form_view .o_field_widget[name=order_line] .o_data_row:contains(Oak dining table) td[name=availability_status]:contains(Expected)",
        },
        nothingCutOff(".o_form_view .o_field_widget[name=order_line]"),
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
        nothingCutOff(".modal .o_list_renderer"),
    ],
});

tours.add("sale_fulfilment_screenshot_stock", {
    steps: () => [
        {
            content: "Stock figures per product",
            trigger: ".o_list_view .o_data_row:contains(Windsor chair) td[name=calculated_stock_qty]",
        },
        nothingCutOff(".o_list_view"),
    ],
});

tours.add("sale_fulfilment_screenshot_schedule", {
    steps: () => [
        {
            content: "The sideboard's make-to-order MO, its doors missing",
            trigger:
                ".o_list_view .o_data_row:contains(Oak sideboard) td[name=ingredient_availability]:contains(Not available)",
        },
        nothingCutOff(".o_list_view"),
    ],
});
