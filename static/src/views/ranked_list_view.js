/** @odoo-module **/
// The Sales priority and Schedule lists: after a drag, the server has already
// re-booked availability (and moved make-to-order MOs or their orders), so the
// list reloads to show the new badges instead of only the new ranks.
import { registry } from "@web/core/registry";
import { listView } from "@web/views/list/list_view";
import { ListRenderer } from "@web/views/list/list_renderer";

export class RankedListRenderer extends ListRenderer {
    async sortDrop(dataRowId, params) {
        await super.sortDrop(dataRowId, params);
        await this.props.list.model.root.load();
    }
}

registry.category("views").add("sale_fulfilment_ranked_list", {
    ...listView,
    Renderer: RankedListRenderer,
});
