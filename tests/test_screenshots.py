import base64
import os
import shutil
import struct
import tempfile
from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser

DESCRIPTION_DIR = Path(__file__).resolve().parent.parent / "static" / "description"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The widths the README promises nothing is cut off at: a common laptop, a
# common desktop screen.
SIZES = ((1366, 768), (1920, 1080))
PRIORITY_URL = "/odoo/action-sale_fulfilment.sale_order_action_fulfilment_priority"


@tagged("post_install", "-at_install")
class TestScreenshots(HttpCase):
    """The main screens on the demo data, as PNGs for static/description.

    Each screen is taken at 1366x768 and at 1920x1080 (``<name>_1366.png``,
    ``<name>_1920.png``); its tour fails when a header, badge or status in
    its list is cut off at that width. The PNGs go to static/description only
    with SALE_FULFILMENT_SCREENSHOTS=1, otherwise to a temporary folder, so
    that running the tests changes no file.
    """

    # The wizard is captured with its choices made, not saved.
    allow_end_on_form = True

    def setUp(self):
        super().setUp()
        if not self.env.ref("sale_fulfilment.sale_order_hotel", raise_if_not_found=False):
            self.skipTest("the screenshots show the demo data")
        if os.environ.get("SALE_FULFILMENT_SCREENSHOTS") == "1":
            self.out_dir = DESCRIPTION_DIR
        else:
            self.out_dir = Path(tempfile.mkdtemp(prefix="sale_fulfilment_screenshots_"))
            self.addCleanup(shutil.rmtree, self.out_dir, ignore_errors=True)

    def _screenshot(self, name, url, tour):
        """Run ``tour`` at each size, which ends on the screen to show, and capture it."""
        for width, height in SIZES:
            with self.subTest(size=f"{width}x{height}"):
                self._screenshot_at(name, url, tour, width, height)

    def _screenshot_at(self, name, url, tour, width, height):
        # HttpCase starts a new Chrome per tour, at the test's browser_size.
        self.browser_size = f"{width}x{height}"
        captures = []
        stop = ChromeBrowser.stop

        def capture_then_stop(browser):
            if getattr(browser, "ws", None) and not captures:
                captures.append(
                    browser._websocket_request(
                        "Page.captureScreenshot", params={"format": "png"}, timeout=30
                    )
                )
            return stop(browser)

        with patch.object(ChromeBrowser, "stop", capture_then_stop):
            self.start_tour(url, tour, login="admin")
        self.assertTrue(captures and captures[0], "no screenshot was captured")
        png = base64.b64decode(captures[0]["data"])
        self.assertEqual(png[:8], PNG_SIGNATURE)
        self.assertEqual(struct.unpack(">II", png[16:24]), (width, height))
        self.assertGreater(len(png), 20_000, "the screenshot looks blank")
        path = self.out_dir / f"{name}_{width}.png"
        path.write_bytes(png)
        return path

    def test_sales_priority(self):
        self._screenshot("sales_priority", PRIORITY_URL, "sale_fulfilment_screenshot_priority")

    def test_sale_order(self):
        studio = self.env.ref("sale_fulfilment.sale_order_studio")
        self._screenshot(
            "sale_order", f"{PRIORITY_URL}/{studio.id}", "sale_fulfilment_screenshot_order"
        )

    def test_fulfilment_wizard(self):
        studio = self.env.ref("sale_fulfilment.sale_order_studio")
        self._screenshot(
            "fulfilment_wizard", f"{PRIORITY_URL}/{studio.id}", "sale_fulfilment_screenshot_wizard"
        )

    def test_stock(self):
        self._screenshot(
            "stock",
            "/odoo/action-sale_fulfilment.sale_fulfilment_stock_action",
            "sale_fulfilment_screenshot_stock",
        )

    def test_schedule(self):
        # The README's worked example: the sideboard made to order, its doors missing.
        sideboard = self.env.ref("sale_fulfilment.sale_order_villa_line_sideboard")
        sideboard._fulfil("make_to_order")
        self._screenshot(
            "schedule",
            "/odoo/action-sale_fulfilment.mrp_production_action_schedule",
            "sale_fulfilment_screenshot_schedule",
        )
