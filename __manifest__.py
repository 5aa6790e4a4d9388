{
    "name": "Sales Fulfilment",
    "version": "18.0.1.2.0",
    "summary": "Per-line availability booked by priority, and a one-click answer "
    "for what is missing: Make to order, Make in batch, Buy or Outsource",
    "author": "sale_fulfilment contributors",
    "website": "https://github.com/sale-fulfilment/sale_fulfilment",
    "license": "LGPL-3",
    "maintainers": ["sale-fulfilment"],
    "development_status": "Beta",
    "category": "Manufacturing/Manufacturing",
    # sale_management: the Sales app and its menu (Odoo 18 hides them without it);
    # sale_mrp: make-to-order MOs linked to sales lines (sale_line_id);
    # purchase_stock: Buy, and receipts as expected supply;
    # mrp_subcontracting_purchase: Outsource, subcontracting BoMs on purchase.
    "depends": [
        "sale_management",
        "sale_mrp",
        "purchase_stock",
        "mrp_subcontracting_purchase",
    ],
    "data": [
        "security/ir.model.access.csv",
        "security/sale_fulfilment_security.xml",
        "views/sale_order_views.xml",
        "views/sale_fulfilment_stock_views.xml",
        "views/mrp_production_views.xml",
        "views/purchase_order_views.xml",
        "views/product_template_views.xml",
        "wizards/sale_order_line_fulfilment_views.xml",
        "views/menus.xml",
        "data/ir_cron.xml",
    ],
    "demo": [
        "demo/demo.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "sale_fulfilment/static/src/views/*.js",
            "sale_fulfilment/static/src/fields/*.js",
            "sale_fulfilment/static/src/fields/*.xml",
            "sale_fulfilment/static/src/widgets/*.xml",
        ],
        "web.assets_tests": [
            "sale_fulfilment/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "installable": True,
}
