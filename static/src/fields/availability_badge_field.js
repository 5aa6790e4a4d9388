/** @odoo-module **/
// A status badge that explains itself: hovering it shows why the line has that
// status (what it booked from stock, from which documents, what is missing).
import { registry } from "@web/core/registry";
import { BadgeField, badgeField } from "@web/views/fields/badge/badge_field";

export class AvailabilityBadgeField extends BadgeField {
    static template = "sale_fulfilment.AvailabilityBadgeField";
    static props = {
        ...BadgeField.props,
        tooltipField: { type: String, optional: true },
    };

    get tooltip() {
        const field = this.props.tooltipField;
        return (field && this.props.record.data[field]) || false;
    }
}

export const availabilityBadgeField = {
    ...badgeField,
    component: AvailabilityBadgeField,
    fieldDependencies: ({ options }) =>
        options.tooltip_field ? [{ name: options.tooltip_field, type: "text" }] : [],
    extractProps: (fieldInfo, dynamicInfo) => ({
        ...badgeField.extractProps(fieldInfo, dynamicInfo),
        tooltipField: fieldInfo.options.tooltip_field,
    }),
};

registry.category("fields").add("sale_fulfilment_availability_badge", availabilityBadgeField);
