"""月度通报 (issue 11): a region's month — headline figures against the month before, the
rankings with their marks, the longest-overdue cases, the categories and grids most
reported — as a page, as a PDF whose text is checked, and from the CLI."""
import pytest

from tests.pagehelpers import text_of

COUNTY = "220221000000"


def _pdf_text(data: bytes) -> str:
    import pypdfium2
    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(document[n].get_textpage().get_text_range() for n in range(len(document)))
    finally:
        document.close()


def test_the_bulletin_page_says_the_month(tuesday, login_as):
    page = text_of(login_as("supervisor").get(f"/dashboard/bulletin?region={COUNTY}&month=2026-03"))
    assert "永吉县2026年3月网格化治理工作通报" in page
    assert "统计期：2026-03-01 至 2026-03-31" in page
    assert "<td>上报数</td><td>5</td><td>0</td><td>↑5</td>" in page
    assert "<td>结案率</td><td>66.7%</td><td>—</td><td>—</td>" in page
    assert "省级示范镇" in page and "清河镇" in page and "市级示范镇" in page
    assert "通报表扬" in page  # the one 省级 town with cases is the first of its level
    assert "环卫所" in page and "超期" in page  # case D and who holds it
    assert "<td>暴露垃圾</td><td>5</td>" in page


def test_the_pdf_and_the_cli_write_the_same_bulletin(tuesday, login_as, world, tmp_path):
    answer = login_as("supervisor").get(f"/dashboard/bulletin.pdf?region={COUNTY}&month=2026-03")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = _pdf_text(answer.get_data())
    for words in ("永吉县2026年3月网格化治理工作通报", "一、总体情况", "66.7%", "通报表扬",
                  "清河镇", "环卫所", "暴露垃圾"):
        assert words in text, words
    out = tmp_path / "bulletin.pdf"
    result = world.test_cli_runner().invoke(args=["bulletin", "--region", COUNTY, "--month",
                                                  "2026-03", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "永吉县2026年3月网格化治理工作通报" in _pdf_text(out.read_bytes())
    bad = world.test_cli_runner().invoke(args=["bulletin", "--region", COUNTY, "--month",
                                               "2026-13", "--out", str(out)])
    assert bad.exit_code != 0 and "月份无效" in bad.output


@pytest.mark.parametrize("who, region, status", [
    ("supervisor", "220000000000", 403),  # the province is above the county
    ("dispatcher", "220221102000", 403),  # another town
    ("dispatcher", "220221101000", 200),  # their own
    ("admin", "220000000000", 200),
    ("supervisor", "999999999999", 422),
    ("worker", COUNTY, 403),
])
def test_who_reads_which_bulletin(world, login_as, who, region, status):
    assert login_as(who).get(f"/dashboard/bulletin?region={region}&month=2026-03").status_code \
        == status


def test_a_bad_month_is_said_as_an_error(world, login_as):
    answer = login_as("supervisor").get("/dashboard/bulletin?month=2026-13")
    assert answer.status_code == 422 and "月份无效" in text_of(answer)
