import shutil

import pytest
from conftest import REPO

from handouts.content.brand import load_brand
from handouts.problems import ContentError


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


@pytest.mark.parametrize("size", ["12pt; } body { display: none } x {", "12", "big", "1200pt"])
def test_the_type_size_lands_in_the_stylesheet_only_as_a_size(brand_file, size):
    edit(brand_file, "    size: 12.5pt", f'    size: "{size}"')
    [(line, message)] = problems(brand_file)
    assert brand_file.read_text().splitlines()[line - 1].strip().startswith("size:")
    assert message.startswith("typography: base: size must be a size such as 12.5pt")


@pytest.mark.parametrize("size", ["1pt", "0pt", "10px", "10.5pt", "21pt", "99px"])
def test_the_type_size_is_one_a_handout_can_be_read_at(brand_file, size):
    """Everything, the crisis lines too, prints at the brand's size: at 1pt a build
    passed, --strict included, and every line was unreadable."""
    edit(brand_file, "    size: 12.5pt", f"    size: {size}")
    [(line, message)] = problems(brand_file)
    assert brand_file.read_text().splitlines()[line - 1].strip() == f"size: {size}"
    assert message == (f"typography: base: size {size} is not a size a handout can be read "
                       "at: from 11pt to 20pt (the crisis lines print at it)")


@pytest.mark.parametrize("size", ["11pt", "20pt", "16px", "26.66px"])
def test_a_readable_size_is_kept(brand_file, size):
    edit(brand_file, "    size: 12.5pt", f"    size: {size}")
    assert load_brand(brand_file).base_size == size


@pytest.mark.parametrize("family", ["[x]", "{a: b}", "12"])
def test_the_typeface_is_one_name(brand_file, family):
    edit(brand_file, "  base:\n    family: Atkinson Hyperlegible",
         f"  base:\n    family: {family}")
    found = problems(brand_file)
    assert found and all("Traceback" not in m for _, m in found)
    assert any("family" in m for _, m in found), found


@pytest.mark.parametrize("colour", ["primary", "foreground", "danger"])
def test_white_on_white_is_refused_by_the_brand_not_only_by_check(brand_file, colour):
    edit(brand_file, f"  {colour}: ", f'  {colour}: "#fdfdfd" #')
    found = problems(brand_file)
    assert found and all("has contrast" in m and "text needs 4.5:1" in m for _, m in found), found
    lines = brand_file.read_text().splitlines()
    assert any(lines[line - 1].strip().startswith(f"{colour}:") for line, _ in found)


@pytest.mark.parametrize("height", ['"1.45; } * { display: none }"', "0.2", "9", "[1]"])
def test_the_line_height_is_a_number_from_1_to_3(brand_file, height):
    edit(brand_file, "    line-height: 1.45", f"    line-height: {height}")
    [(line, message)] = problems(brand_file)
    # Not a number at all: the brand.yml schema says so; out of range: we do.
    assert "number" in message
    assert brand_file.read_text().splitlines()[line - 1].strip().startswith(("line-height:", "base:"))


@pytest.mark.parametrize("website", ["javascript://%0aalert(1)", "file:///etc/passwd",
                                     "clinic example org", "https://", "https://[::1/",
                                     "https://clinic.example:port/", "clinic\u202eexample.org",
                                     "clinic\u200b.example.org"])
def test_the_clinic_website_is_a_web_address(brand_file, website):
    edit(brand_file, 'en: "[Clinic website]"', f'en: "{website}"')
    found = problems(brand_file)
    assert any("contact website (en) must be a web address" in m for _, m in found), found


def test_a_real_website_links_and_a_bare_one_is_https(brand_file):
    from handouts.content.brand import web_address

    edit(brand_file, 'en: "[Clinic website]"', 'en: "clinic.example.org"')
    assert load_brand(brand_file).contact.website == "clinic.example.org"
    assert web_address("clinic.example.org") == "https://clinic.example.org"
    assert web_address("http://clinic.example.org") == "http://clinic.example.org"
