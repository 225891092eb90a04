"""Service settings: one BaseSettings made from the settings table (matcher.limits.SETTINGS: name, default,
environment variable, help), read from KOMMUNE_MATCHER_* environment variables (set by `matcher serve`)."""
from __future__ import annotations


from pydantic import Field, create_model, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from matcher import limits
from matcher.alerts import default_locations
from matcher.coverage import default_demand_db

# the defaults that are files beside the model directory, derived from model_dir when not given
_BESIDE_THE_MODEL = {
    "demand_db": default_demand_db,
    "feedback_db": default_demand_db,  # where `matcher refit` looks: one database beside the model
    "searches_db": lambda model_dir: default_locations(model_dir)[0],  # where `matcher alerts` looks
    "searches_key_file": lambda model_dir: default_locations(model_dir)[1],
}
_NONE_WHEN_EMPTY = ("demand_db", "feedback_db", "demand_profiles", "searches_db", "searches_key_file")


class _Base(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KOMMUNE_MATCHER_", frozen=True, populate_by_name=True,
                                      protected_namespaces=())

    @field_validator(*_NONE_WHEN_EMPTY, check_fields=False)
    @classmethod
    def _empty_means_none(cls, value: str | None) -> str | None:
        return value or None


def _field(setting: limits.Setting):
    options = {"description": setting.help}
    if setting.variable != f"KOMMUNE_MATCHER_{setting.name.upper()}":
        options["validation_alias"] = setting.variable
    if setting.minimum is not None and setting.flag is None:  # an option's minimum is checked by argparse
        options["ge"] = setting.minimum
    if setting.name in _BESIDE_THE_MODEL:
        derive = _BESIDE_THE_MODEL[setting.name]
        return Field(default_factory=lambda data: derive(data["model_dir"]) if data.get("model_dir") else None,
                     **options)
    return Field(setting.default, **options)


Settings = create_model(
    "Settings", __base__=_Base, __doc__="The service's settings; see matcher.limits.SETTINGS for each.",
    **{s.name: (s.type if s.default is not None else s.type | None, _field(s))
       for s in limits.SETTINGS if s.variable is not None})
