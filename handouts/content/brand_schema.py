"""The brand file checked against the brand.yml schema, by the brand-yml package, with
each complaint said at its line; and the few schema values the brand reads."""

from __future__ import annotations

from typing import Any

from ..problems import ContentError
from .yamltext import YamlText


def validated_schema(parsed: YamlText):
    """The brand.yml schema, checked by the brand-yml package (imported only here)."""
    import pydantic
    from brand_yml import Brand as BrandYml

    _check_families(parsed)
    try:
        return BrandYml.model_validate({**parsed.data, "path": parsed.path.resolve()})
    except (TypeError, ValueError, AttributeError) as exc:  # a value the package chokes on
        if isinstance(exc, pydantic.ValidationError):
            _schema_problems(parsed, exc)
        raise ContentError([parsed.error((), "the brand file is not brand.yml as the brand-yml "
                                         f"package reads it ({type(exc).__name__}); check "
                                         "each value's type")]) from None


def _check_families(parsed: YamlText) -> None:
    """A typeface's family is one name: brand-yml raises TypeError on a list or mapping."""
    typography = parsed.data.get("typography")
    for section, part in (typography.items() if isinstance(typography, dict) else ()):
        if isinstance(part, dict) and "family" in part and not isinstance(part["family"], str):
            raise ContentError([parsed.error(("typography", section, "family"),
                                             f"typography: {section}: family must be the name "
                                             "of one typeface, such as Atkinson Hyperlegible")])


def _schema_problems(parsed: YamlText, exc) -> None:
    """Raise the schema's complaints as problems at their lines. A union reports one
    error per member it tried; the first is enough."""
    first: dict[str, str] = {}
    for e in exc.errors():
        first.setdefault(_dotted(e["loc"]), e["msg"])
    raise ContentError([parsed.error(tuple(where.split(".")), f"{where}: {message}")
                        for where, message in first.items()])


def _dotted(loc) -> str:
    """A pydantic location as the keys written in the file: pydantic adds the
    names of union members (BrandLogo, light-dark, ...), which nobody wrote."""
    written = [str(part) for part in loc
               if isinstance(part, int) or not (part[:1].isupper() or "-" in part)]
    return ".".join(written)


def schema_name(schema, which: str) -> str | None:
    name = schema.meta.name if schema.meta else None
    return getattr(name, which, None) if name else None


def schema_typography(schema, section: str, attribute: str) -> Any:
    part = getattr(schema.typography, section, None) if schema.typography else None
    return getattr(part, attribute, None) if part else None
