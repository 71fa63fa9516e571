import shutil

import pytest

from handouts.brand import load_brand
from handouts.problems import ContentError

from conftest import REPO


@pytest.fixture
def brand_file(tmp_path):
    shutil.copytree(REPO / "brand", tmp_path / "brand")
    path = tmp_path / "_brand.yml"
    shutil.copy(REPO / "_brand.yml", path)
    return path


def problems(path):
    with pytest.raises(ContentError) as caught:
        load_brand(path)
    return [(p.line, p.message) for p in caught.value.problems]


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_shipped_brand(brand_file):
    brand = load_brand(brand_file)
    assert brand.name == "Essence Healthcare"
    assert brand.typeface.family == "Atkinson Hyperlegible"
    assert {f.weight for f in brand.typeface.faces} == {400, 700}
    assert brand.colors.primary == "#0e5a5f"
    assert brand.paper == "letter"
    assert brand.logo.path.name == "logo.svg"
    assert brand.logo_on_dark.path.name == "logo-reverse.svg"
    assert [line.number for line in brand.crisis_lines] == [
        "911", "988", "1-800-662-4357", "1-800-222-1222"]
    assert brand.contact.placeholders() == ["phone", "address", "hours", "website"]


def test_schema_errors_name_their_line(brand_file):
    edit(brand_file, "  primary: deep-teal", "  primary: [not, a, colour]")
    [(line, message)] = problems(brand_file)
    assert brand_file.read_text().splitlines()[line - 1].strip().startswith("primary:")
    assert message.startswith("color.primary:")


def test_unknown_contact_field_and_bad_paper(brand_file):
    edit(brand_file, "paper: letter ", "paper: tabloid ")
    edit(brand_file, "      hours:", "      fax: '1'\n      hours:")
    found = problems(brand_file)
    assert any("paper must be letter or a4, not 'tabloid'" in m for _, m in found)
    assert any(m.startswith("unknown field 'fax'") for _, m in found)


def test_typeface_must_be_an_installed_package(brand_file):
    edit(brand_file, "family: Atkinson Hyperlegible\n    size", "family: Comic Sans MS\n    size")
    [(line, message)] = problems(brand_file)
    assert "typeface 'Comic Sans MS' is not installed as a font package" in message


def test_missing_logo_file(brand_file):
    (brand_file.parent / "brand" / "logo.svg").unlink()
    assert any("logo file not found: brand/logo.svg" in m for _, m in problems(brand_file))


def test_crisis_line_needs_a_number(brand_file):
    edit(brand_file, '        number: "988"\n', "")
    found = problems(brand_file)
    assert any("a crisis line needs name, action and number (missing number)" in m for _, m in found)
