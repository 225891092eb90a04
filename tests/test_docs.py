"""The docs hold what the code holds: the settings table of docs/operations.md is the one the code has
(matcher.limits.SETTINGS, which feeds `matcher serve` and the service), and the README's links lead somewhere."""
import re

from matcher import limits
from service.settings import Settings

from conftest import ROOT


def test_the_settings_table_in_the_docs_is_the_codes():
    assert limits.settings_table() in (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")


def test_every_setting_of_the_service_is_in_the_table_and_the_other_way_round():
    assert set(Settings.model_fields) == {s.name for s in limits.SETTINGS if s.variable}
    for setting in limits.SETTINGS:
        if setting.variable and setting.default is not None and setting.default_text is None:
            assert Settings(model_dir=None).model_dump()[setting.name] == setting.default, setting.name


def test_serve_has_an_option_for_every_setting_with_a_flag():
    from matcher.cli import build_parser
    serve = build_parser()._subparsers._group_actions[0].choices["serve"]
    flags = {flag for action in serve._actions for flag in action.option_strings}
    assert {s.flag for s in limits.SETTINGS if s.flag} <= flags


def test_the_readmes_links_to_files_lead_to_files():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    assert links and all((ROOT / link).exists() for link in links), links
