"""UI texts per language, from `bot/texts/<lang>.toml`. Placeholders are HTML-escaped unless
the value is marked `Html` (already-rendered markup), and no secret survives in a filled-in
text (an error quoted to an admin could carry one)."""

from __future__ import annotations

import html
import tomllib
from pathlib import Path

from digests.redaction import Redactor

TEXTS_DIR = Path(__file__).resolve().parent / "texts"
DEFAULT_LANGUAGE = "vi"


class Html(str):
    """A string that is already valid Telegram HTML; inserted into texts as is."""


class TextsError(ValueError):
    pass


class Texts:
    def __init__(self, catalog: dict[str, dict[str, str]], redact: Redactor | None = None) -> None:
        if DEFAULT_LANGUAGE not in catalog:
            raise TextsError(f"no {DEFAULT_LANGUAGE}.toml texts")
        reference = set(catalog[DEFAULT_LANGUAGE])
        for language, texts in catalog.items():
            missing = reference - set(texts)
            if missing:
                raise TextsError(f"texts/{language}.toml lacks {sorted(missing)}")
        self._catalog = catalog
        self._redact = redact or Redactor()

    @classmethod
    def load(cls, directory: Path = TEXTS_DIR, redact: Redactor | None = None) -> Texts:
        catalog = {}
        for path in sorted(directory.glob("*.toml")):
            with path.open("rb") as handle:
                catalog[path.stem] = {k: str(v) for k, v in tomllib.load(handle).items()}
        return cls(catalog, redact)

    @property
    def languages(self) -> list[str]:
        return sorted(self._catalog)

    def plural(self, language: str, key: str, count: int) -> str:
        """`<key>_one` for one, `<key>_other` otherwise, with `count` filled in."""
        return self.get(language, f"{key}_one" if count == 1 else f"{key}_other", count=count)

    def get(self, language: str, key: str, /, **values: object) -> str:
        texts = self._catalog.get(language) or self._catalog[DEFAULT_LANGUAGE]
        template = texts[key]
        if not values:
            return template
        escaped = {
            name: value if isinstance(value, Html) else html.escape(str(value), quote=False)
            for name, value in values.items()
        }
        return self._redact(template.format(**escaped))
