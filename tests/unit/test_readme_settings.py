"""The README's configuration table names every setting the code reads, so an admin never
meets a setting only by reading config.py."""

from __future__ import annotations

from pathlib import Path

from shared_code.common.config import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def _names(field_name: str, alias: object) -> list[str]:
    choices = getattr(alias, "choices", None)
    if choices:
        return [c for c in choices if isinstance(c, str)]
    return [alias] if isinstance(alias, str) else [field_name.upper()]


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("## Configuration"):text.index("## Architecture")]
    every = [_names(name, field.validation_alias) for name, field in Settings.model_fields.items()]
    missing = [names[0] for names in every if not any(f"`{n}`" in table for n in names)]
    assert not missing, f"README's configuration table lacks {missing}"
