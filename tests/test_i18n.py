import re

import polib
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged

from odoo.addons.sale_fulfilment.translation_template import (
    POT_PATH,
    UPDATE_COMMAND,
    export_pot,
    stable_text,
)

LANGUAGES = {"fr": "fr_FR", "de": "de_DE", "es": "es_ES"}
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdifr]")
TAG = re.compile(r"</?[a-zA-Z][\w-]*")

# What a planner reads, per language: the words checked on the screens.
EXPECTED = {
    "fr_FR": {
        "Not available": "Pas disponible",
        "Calculated stock": "Stock calculé",
        "Sales priority": "Priorité des ventes",
        "Reserve in rank order": "Réserver dans l'ordre des rangs",
        "Select at least one sales line to fulfil.": (
            "Sélectionnez au moins une ligne de commande à approvisionner."
        ),
    },
    "de_DE": {
        "Not available": "Nicht verfügbar",
        "Calculated stock": "Berechneter Bestand",
        "Sales priority": "Verkaufspriorität",
        "Reserve in rank order": "Nach Rang reservieren",
        "Select at least one sales line to fulfil.": (
            "Wählen Sie mindestens eine Auftragszeile zum Beschaffen aus."
        ),
    },
    "es_ES": {
        "Not available": "No disponible",
        "Calculated stock": "Stock calculado",
        "Sales priority": "Prioridad de ventas",
        "Reserve in rank order": "Reservar por orden de rango",
        "Select at least one sales line to fulfil.": (
            "Seleccione al menos una línea de pedido para abastecer."
        ),
    },
}


@tagged("post_install", "-at_install")
class TestTranslationFiles(TransactionCase):
    """The template follows the code; every language translates all of it."""

    def test_template_is_current(self):
        """The committed .pot is what Odoo's exporter gives for the code today."""
        exported = export_pot(self.env.cr)
        if stable_text(exported) == stable_text(POT_PATH.read_text()):
            return
        fresh = {entry.msgid for entry in polib.pofile(exported)}
        committed = {entry.msgid for entry in polib.pofile(str(POT_PATH))}
        self.fail(
            f"i18n/{POT_PATH.name} is stale: run `{UPDATE_COMMAND}` and translate the new "
            f"terms in i18n/*.po.\nNew terms: {sorted(fresh - committed)}\n"
            f"Gone: {sorted(committed - fresh)}\n(or only their places in the code changed)"
        )

    def test_translations_are_complete(self):
        """Each language translates every term, keeps its placeholders and tags."""
        template = [entry.msgid for entry in polib.pofile(str(POT_PATH))]
        for code in LANGUAGES:
            path = POT_PATH.with_name(f"{code}.po")
            with self.subTest(language=code):
                self.assertTrue(path.exists(), f"i18n/{path.name} is missing")
                entries = {entry.msgid: entry for entry in polib.pofile(str(path))}
                untranslated = [
                    msgid
                    for msgid in template
                    if msgid not in entries
                    or entries[msgid].obsolete
                    or "fuzzy" in entries[msgid].flags
                    or not entries[msgid].msgstr.strip()
                ]
                self.assertFalse(
                    untranslated,
                    f"i18n/{path.name} does not translate these terms (run "
                    f"`{UPDATE_COMMAND}` to add them, then translate them): {untranslated}",
                )
                gone = sorted(set(entries) - set(template))
                self.assertFalse(gone, f"i18n/{path.name} has terms no longer in the code: {gone}")
                for msgid in template:
                    msgstr = entries[msgid].msgstr
                    self.assertEqual(
                        sorted(PLACEHOLDER.findall(msgstr)),
                        sorted(PLACEHOLDER.findall(msgid)),
                        f"i18n/{path.name}: placeholders differ in {msgstr!r}",
                    )
                    self.assertEqual(
                        sorted(TAG.findall(msgstr)),
                        sorted(TAG.findall(msgid)),
                        f"i18n/{path.name}: tags differ in {msgstr!r}",
                    )


@tagged("post_install", "-at_install")
class TestTranslatedInterface(TransactionCase):
    """With French, German or Spanish active, a planner reads his own words."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for lang in EXPECTED:
            cls.env["res.lang"]._activate_lang(lang)
        cls.env["ir.module.module"]._load_module_terms(
            ["sale_fulfilment"], list(EXPECTED), overwrite=True
        )

    def test_labels_in_each_language(self):
        for lang, words in EXPECTED.items():
            with self.subTest(lang=lang):
                env = self.env(context=dict(self.env.context, lang=lang))
                status = env["sale.order.line"].fields_get(["availability_status"])
                selection = dict(status["availability_status"]["selection"])
                self.assertEqual(selection["not_available"], words["Not available"])
                figure = env["product.product"].fields_get(["calculated_stock_qty"])
                label = figure["calculated_stock_qty"]["string"]
                self.assertEqual(label, words["Calculated stock"])
                menu = env.ref("sale_fulfilment.sale_order_menu_fulfilment_priority")
                self.assertEqual(menu.name, words["Sales priority"])
                view = env.ref("sale_fulfilment.sale_order_view_list_fulfilment")
                arch = etree.fromstring(env["sale.order"].get_view(view.id, "list")["arch"])
                button = arch.xpath("//button[@name='action_reserve_in_rank_order']")[0]
                self.assertEqual(button.get("string"), words["Reserve in rank order"])
                with self.assertRaises(UserError) as refusal:
                    env["sale.order.line"]._fulfil("buy")
                self.assertEqual(
                    str(refusal.exception), words["Select at least one sales line to fulfil."]
                )
