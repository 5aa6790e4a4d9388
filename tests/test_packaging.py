import base64
import io

from PIL import Image

from odoo.modules.module import get_manifest
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestPackaging(TransactionCase):
    """What Apps shows of the addon, and what packagers read in its manifest."""

    def test_apps_shows_the_addon_icon(self):
        module = self.env["ir.module.module"].search([("name", "=", "sale_fulfilment")])
        self.assertEqual(module.icon, "/sale_fulfilment/static/description/icon.png")
        icon = Image.open(io.BytesIO(base64.b64decode(module.icon_image)))
        self.assertEqual((icon.format, icon.size), ("PNG", (128, 128)))

    def test_manifest_carries_oca_keys(self):
        manifest = get_manifest("sale_fulfilment")
        # The statuses OCA's tools (and whool's classifiers) know.
        self.assertIn(
            manifest["development_status"], ("Alpha", "Beta", "Production/Stable", "Mature")
        )
        self.assertTrue(manifest["maintainers"])
        for key in ("author", "website", "license"):
            self.assertTrue(manifest[key], key)
