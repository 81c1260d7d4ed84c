"""The classifier: whole-syllable matching, NFC/NFD, sections, the leadership rule, leaders,
explanations, catalog edits, the JSON-lines contract, and quality on the labelled seeds."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from digests.config import PROJECT_ROOT
from digests.text import same_tone_style
from digests.topics.catalog import CatalogError, load_catalog, parse_catalog
from digests.topics.classifier import Classifier, classify_jsonl
from tests import labelled

CATALOG = load_catalog()
C = Classifier(CATALOG)
SLUGS = frozenset(t.slug for t in CATALOG.topics)


def topics(title: str, summary: str = "", body: str = "", section: str | None = None) -> list[str]:
    return C.classify(title, summary, body, section).topics


def test_phrases_match_whole_syllables_only() -> None:
    assert "food-safety" in topics("Kiểm tra chất lượng sữa cho trẻ em")
    # "sửa" (repair) is not "sữa" (milk); "thuộc" is not "thuốc"; "lao động" is not TB.
    assert "food-safety" not in topics("Sửa chữa trụ sở cơ quan")
    assert "medicines-vaccines" not in topics("Các đơn vị thuộc Bộ Y tế họp giao ban")
    assert "disease-control" not in topics("Bảo vệ người lao động trong ngành y tế")
    # "dịch vụ" (service) is not "dịch" (epidemic); "kỷ luật" (discipline) is not "luật".
    assert "disease-control" not in topics("Nâng cao chất lượng dịch vụ công")
    assert "law-policy" not in topics("Xử lý kỷ luật cán bộ vi phạm")
    assert "law-policy" in topics("Quốc hội thông qua Luật Phòng bệnh")


def test_acronyms_match_only_in_capitals() -> None:
    assert "digital-transformation" in topics("Ứng dụng AI trong chẩn đoán hình ảnh")
    assert "digital-transformation" not in topics("Ai cũng có thể hiến máu cứu người")
    assert "international" in topics("Bộ trưởng tiếp Trưởng đại diện WHO tại Việt Nam")


def test_nfd_input_gives_the_same_result_as_nfc() -> None:
    title = "Thứ trưởng Bộ Y tế Đỗ Xuân Tuyên kiểm tra an toàn thực phẩm tại Hà Nội"
    nfc = C.classify(title)
    nfd = C.classify(unicodedata.normalize("NFD", title))
    assert (nfc.topics, nfc.leaders) == (nfd.topics, nfd.leaders)
    assert nfc.topics == ["leadership", "food-safety"] and nfc.leaders == ["Đỗ Xuân Tuyên"]


def test_old_and_new_tone_placement_are_the_same() -> None:
    # "khoẻ"/"khỏe", "thuỷ"/"thủy", "hoá"/"hóa": one word, two spelling conventions.
    for old, new in (
        ("Thuỷ đậu gia tăng ở trẻ em", "Thủy đậu gia tăng ở trẻ em"),
        ("Hồ sơ sức khoẻ điện tử cho mọi người", "Hồ sơ sức khỏe điện tử cho mọi người"),
        ("Đảng uỷ Bộ Y tế tổng kết năm", "Đảng ủy Bộ Y tế tổng kết năm"),
    ):
        assert topics(old) == topics(new) != []
    assert same_tone_style("hoà hoàn khuyến") == "hòa hoàn khuyến"


def test_text_without_diacritics_is_matched_folded() -> None:
    result = C.classify("Bo truong Dao Hong Lan chu tri hop ve chuyen doi so")
    assert result.topics == ["leadership", "digital-transformation"]
    assert result.leaders == ["Đào Hồng Lan"]


def test_leader_variants() -> None:
    lower_y = C.classify("Thứ trưởng Bộ y tế Nguyễn Thị Liên Hương đề nghị Cục Bảo trợ xã hội")
    assert lower_y.leaders == ["Nguyễn Thị Liên Hương"] and "leadership" in lower_y.topics
    assert C.classify("Bộ trưởng Đào Hồng Lan trao quyết định").leaders == ["Đào Hồng Lan"]
    two = C.classify(
        "Họp về chuyển đổi số", "Bộ trưởng Đào Hồng Lan và Thứ trưởng Nguyễn Tri Thức chủ trì"
    )
    assert two.leaders == ["Đào Hồng Lan", "Nguyễn Tri Thức"]
    # A title without a name is leadership but names no leader.
    nameless = C.classify("Thứ trưởng Bộ Y tế: Liệu pháp miễn dịch mang lại hy vọng")
    assert nameless.leaders == [] and "leadership" in nameless.topics
    # A name typed without diacritics in a text that has them is still the leader; a name
    # that differs by its diacritics ("Tuyến") is someone else.
    mixed = C.classify("Deputy Minister Do Xuan Tuyen visits Hà Nội's hospitals")
    assert mixed.leaders == ["Đỗ Xuân Tuyên"]
    assert C.classify("Ông Đỗ Xuân Tuyến nhận giải thưởng").leaders == []


def test_section_and_leadership_rule() -> None:
    assert topics("Lễ công bố quyết định", section="leadership")[0] == "leadership"
    assert "digital-transformation" in topics(
        "Y tế Thái Nguyên chuyển mình", section="digital-transformation"
    )
    # What a top leader did, reported in the lead, makes it leadership.
    assert "leadership" in topics(
        "Khởi công khu phức hợp y tế", "Sáng 17/1, Tổng Bí thư Tô Lâm dự lễ khởi công dự án."
    )
    # A leader merely mentioned, with no action, does not.
    assert "leadership" not in topics("Tiểu sử Bộ trưởng qua các thời kỳ")
    # "tiếp tục" is not "tiếp" (received).
    assert "leadership" not in topics("Thứ trưởng nghỉ hưu, công việc tiếp tục")
    # Answering the National Assembly's questions is an activity; being appointed by a
    # signed decision is personnel news, not what the appointee or the signer did.
    assert "leadership" in topics("Bộ trưởng Bộ Y tế trả lời chất vấn về thiếu thuốc")
    assert "leadership" in topics("Bộ trưởng quy trách nhiệm cho giám đốc bệnh viện")
    appointed = topics(
        "Ông A giữ chức Thứ trưởng Bộ Y tế",
        "Thủ tướng đã ký quyết định bổ nhiệm ông A giữ chức Thứ trưởng Bộ Y tế.",
    )
    assert appointed == ["personnel"]


def test_an_acting_head_is_personnel() -> None:
    lead = "Chủ tịch UBND tỉnh giao ông A, Phó Giám đốc Sở Y tế, phụ trách điều hành Sở Y tế."
    assert topics("Ông A phụ trách Sở Y tế tỉnh", lead) == ["personnel"]


def test_tobacco_sessions_and_calls_to_action() -> None:
    # "khói thuốc" is tobacco smoke, not a medicine.
    assert "medicines-vaccines" not in topics("Truyền thông vì môi trường không khói thuốc")
    # "kỳ họp" is a session of the National Assembly, not a meeting a leader holds.
    session = C.classify(
        "Trình Quốc hội phê chuẩn nhân sự Bộ Y tế",
        "Tại kỳ họp tới, Thủ tướng Chính phủ sẽ trình Quốc hội phê chuẩn nhân sự.",
    )
    assert session.topics == ["personnel"]
    # A leader calling on the sector to act is a leadership activity.
    assert "leadership" in topics("Bộ trưởng Bộ Y tế gửi lời hiệu triệu phòng, chống dịch")
    assert "leadership" in topics("Thứ trưởng kêu gọi người dân hiến máu tình nguyện")


def test_english_news() -> None:
    assert topics("Deputy PM inspects COVID-19 vaccination in Hanoi") == [
        "leadership",
        "disease-control",
    ]
    assert topics("Alert to monkeypox, HCM City proposes health declaration for arrivals") == [
        "disease-control"
    ]
    covax = topics("Nearly 1.7 million doses of vaccines arrive through COVAX")
    assert {"medicines-vaccines", "international"} <= set(covax)
    assert topics("Maternal and child health care gaps among regions") == ["population-social"]
    assert topics("Ministry asks for reports on health worker resignations") == ["personnel"]
    # "Preventive medicine" is disease prevention, not medicines.
    assert topics("Shortfall of preventive medicine workers") == ["disease-control"]
    led = C.classify(
        "Health workers sent to support HCM City",
        "A delegation of the ministry led by Minister Nguyen Thanh Long arrived on August 15.",
    )
    assert "leadership" in led.topics
    assert topics("Dairy product origin to be traced after two deaths") == ["food-safety"]
    # Meetings and working sessions are what leaders do; countries named in English count.
    met = topics("Deputy Minister of Health had a meeting with the Cuban ambassador")
    assert met == ["leadership", "international"]
    session = C.classify(
        "Measures sought for drug shortages",
        "Deputy Prime Minister Tran Hong Ha held a working session with hospitals on Friday.",
    )
    assert session.topics == ["leadership", "medicines-vaccines"]
    assert "international" in topics("Health cooperation between Vietnam and Japan", "")
    # English words of every topic, not only of leadership.
    assert topics("Herbal medicine producers get support") == ["traditional-medicine"]
    assert topics("Hand, foot and mouth disease cases rise in the south") == ["disease-control"]
    assert topics("Blood banks face severe shortage after Tet") == ["blood-organ-donation"]
    assert topics("Health insurance fund runs a deficit") == ["health-insurance"]
    assert topics("Commune health stations get new equipment") == ["primary-care"]
    # Warnings, declarations and hand-overs are what leaders do; "premier" is a title.
    assert "leadership" in topics("Deputy PM warns health ministry about summer outbreaks")
    assert "leadership" in topics("Vietnam premier urges efforts to combat dengue")
    # The Prime Minister handing over appointments is personnel news, not the ministry's
    # leadership at work (the corpus's labelling rules).
    handed = topics("PM hands over appointment decisions to health, transport ministers")
    assert "personnel" in handed and "leadership" not in handed


def test_a_leaders_visit_to_a_hospital_is_also_medical_services() -> None:
    visit = C.classify(
        "Bộ trưởng thăm, động viên y bác sĩ đêm giao thừa",
        "Bộ trưởng Bộ Y tế đã đến Bệnh viện Phụ sản Trung ương thăm các y bác sĩ trực Tết.",
    )
    assert visit.topics == ["leadership", "medical-services"]
    assert "rule" in [e.field for e in visit.explain["medical-services"]]
    assert "medical-services" in topics("Deputy PM visits hospitals in Hanoi")
    # A meeting with hospitals' directors is not a visit; a visit without a leader is no
    # leadership item; "thăm khám" (examining patients) is not a visit.
    meeting = topics("Bộ trưởng họp với lãnh đạo bệnh viện về mua sắm vật tư")
    assert "medical-services" not in meeting
    assert topics("Đoàn công tác thăm bệnh viện tỉnh") == []
    examined = topics("Thứ trưởng chủ trì họp", "Thứ trưởng yêu cầu thăm khám kỹ tại bệnh viện.")
    assert "medical-services" not in examined


def test_another_ministrys_leader_is_not_leadership() -> None:
    assert "leadership" not in topics("Bộ trưởng Bộ Tài chính làm việc về giá thuốc")
    assert "leadership" not in topics("Deputy Minister of Foreign Trade visits a hospital")
    assert "leadership" not in topics("Bo truong Bo Tai chinh lam viec ve gia thuoc")
    # Ours, however written, still are.
    assert "leadership" in topics("Deputy Minister of Health visits a hospital")
    assert "leadership" in topics("Bộ trưởng, Bộ Y tế Đào Hồng Lan thăm bệnh viện")
    both = C.classify("Họp về giá thuốc", "Bộ trưởng Bộ Tài chính và Thứ trưởng Bộ Y tế dự.")
    assert "leadership" in both.topics


def test_a_foreign_leader_is_international_not_leadership() -> None:
    assert topics("Bộ trưởng Y tế Lào thăm Bệnh viện Bạch Mai") == ["international"]
    assert topics("Thứ trưởng Bộ Y tế Nhật Bản làm việc tại Hà Nội") == ["international"]
    lao = C.classify(
        "Lễ trao tặng Huân-Huy chương của Chính phủ Lào",
        "Được sự uỷ quyền của Thủ tướng Chính phủ nước CHDCND Lào, Bộ Y tế tổ chức lễ trao tặng.",
    )
    assert "leadership" not in lao.topics and "international" in lao.topics
    # Our Minister receiving a foreign one is both.
    both = topics("Bộ trưởng Đào Hồng Lan tiếp Bộ trưởng Y tế Cuba")
    assert {"leadership", "international"} <= set(both)
    # A country after an action is where our leader went; a given name is not a country.
    assert "leadership" in topics("Thủ tướng thăm Lào, bàn về hợp tác y tế")
    assert "leadership" in topics("Thứ trưởng Lê Đức Luận kiểm tra bệnh viện tuyến tỉnh")
    # A deputy minister the catalog does not know is another ministry's.
    assert "leadership" not in topics("Thứ trưởng Nguyễn Văn Đức kiểm tra trường học")


def test_two_weak_phrases_in_a_title_make_a_topic() -> None:
    assert "medical-services" in topics("BV tỉnh bổ sung bác sĩ cho khoa Nhi")
    assert "medical-services" not in topics("BV tỉnh khánh thành nhà để xe")


def test_clinics_incidents_of_care_and_hospital_schemes_are_medical_services() -> None:
    assert "medical-services" in topics("Đình chỉ hoạt động phòng khám tư sau sự cố")
    assert "medical-services" in topics("4 trẻ tử vong ở Bắc Ninh do nhiễm khuẩn bệnh viện")
    assert "medical-services" in topics("Đánh giá hiệu quả đề án bệnh viện vệ tinh")
    # A transplant is care and donation at once.
    transplant = topics("Bệnh viện Xanh Pôn ghép thận thành công từ người hiến tạng")
    assert {"medical-services", "blood-organ-donation"} <= set(transplant)
    # A hospital's second campus, the ministry's long-running building project.
    assert "medical-services" in topics("Sớm đưa Bệnh viện Bạch Mai cơ sở 2 vào hoạt động")
    assert "medical-services" not in topics("Trung tâm Kiểm nghiệm khai trương cơ sở 2")
    # A hospital named as the place of another story still needs a care word.
    assert "medical-services" not in topics("Bệnh viện tỉnh tổ chức hội thao công đoàn")


def test_state_honours_of_the_health_sector_are_personnel() -> None:
    assert "personnel" in topics("Tặng danh hiệu Thầy thuốc nhân dân cho 134 thầy thuốc")
    assert "personnel" in topics("Trao danh hiệu Thầy thuốc ưu tú năm 2025")
    # A hyphen splits "Huân-Huy chương" into syllables like any other punctuation.
    assert "personnel" in topics("Lễ trao tặng Huân-Huy chương cho ngành y tế")
    # "Thầy thuốc" alone is a doctor, not an honour (and not a medicine).
    assert topics("Thầy thuốc trẻ tình nguyện về vùng cao") == []


@pytest.mark.parametrize(
    "section",
    [
        "leadership",
        "Hoạt động của lãnh đạo Bộ",
        "HOAT DONG CUA LANH DAO BO",
        "Ministry leadership activities",
        "Tin hoạt động - Bộ y tế",
        "Trang chủ > Hoạt động của lãnh đạo Bộ",
        "https://moh.gov.vn/hoat-dong-cua-lanh-dao-bo",
        "https://moh.gov.vn/en_US/hoat-dong-cua-lanh-dao-bo/-/asset_publisher/x/content/y",
        unicodedata.normalize("NFD", "Hoạt động của lãnh đạo Bộ"),
    ],
)
def test_a_section_may_be_named_as_the_site_names_it(section: str) -> None:
    # A headline with neither a leader nor a topic of its own: only the section says.
    assert topics("12 điểm mới từ ngày 1/7", section=section) == ["leadership"]
    assert C.catalog.section_topic(section) == "leadership"


def test_sections_that_are_no_topic_give_nothing() -> None:
    for section in ("Tin tổng hợp", "Tin địa phương", "https://moh.gov.vn/tin-tong-hop", "", None):
        assert C.catalog.section_topic(section) is None
        assert topics("12 điểm mới từ ngày 1/7", section=section) == []
    # What follows "/-/" in a portal address names the article, not the section.
    assert C.catalog.section_topic("https://moh.gov.vn/tin-tong-hop/-/a/b/content/dan-so") is None
    assert C.catalog.section_topic("Dân số - Kế hoạch hóa gia đình") == "population-social"
    assert C.catalog.section_topic("an toan thuc pham") == "food-safety"


def test_a_party_congress_resolution_is_not_law() -> None:
    lead = "Để thực hiện thắng lợi Nghị quyết Đại hội XIV, ngành Y tế tập trung vào giải pháp."
    assert "law-policy" not in topics("Y tế Việt Nam vươn mình trong kỷ nguyên mới", lead)
    assert "law-policy" in topics("Triển khai Nghị quyết 72 về bảo vệ sức khỏe nhân dân")


def test_the_lead_speaks_for_a_headline_that_names_no_topic() -> None:
    lead = "Bộ Y tế có văn bản về việc đảm bảo công tác y tế trong kỳ nghỉ lễ."
    assert "medical-services" in topics("Đảm bảo tốt y tế trong dịp nghỉ lễ", lead)
    # When the headline names a topic, a strong phrase of the lead only supports.
    assert topics("Hội nghị chuyển đổi số ngành y tế", lead) == ["digital-transformation"]
    # A headline of weak words only ("tiêu chuẩn", "chất lượng") names no topic either.
    recall = "Thu hồi gel bôi không đạt tiêu chuẩn chất lượng"
    assert topics(recall, "Cục Quản lý Dược vừa ra thông báo.") == ["medicines-vaccines"]
    # Weak phrases of the lead stay weak either way.
    assert topics("Một ngày ở bệnh viện huyện", "Bác sĩ và người bệnh kể chuyện.") == []


def test_a_leaders_party_posts_are_a_title_not_party_work() -> None:
    lead = (
        "Sáng 04/3, Ủy viên Dự khuyết Ban Chấp hành Trung ương Đảng, Phó Bí thư Thường trực "
        "Đảng ủy Bộ Y tế, Thứ trưởng Thường trực Vũ Mạnh Hà chủ trì buổi làm việc."
    )
    result = topics("Truyền thông y tế luôn đi trước", lead)
    assert "personnel" not in result and "leadership" in result
    assert "personnel" in topics("Đảng ủy Bộ Y tế tổng kết công tác năm 2025")
    # So is a council's chair; a hospital's name is not the centres it resembles.
    lead = (
        "GS.TS Trần Văn Thuấn, Thứ trưởng Bộ Y tế, Chủ tịch Hội đồng Y khoa Quốc gia đã đến thăm."
    )
    assert topics("Thứ trưởng thăm gia đình liệt sĩ", lead) == ["leadership"]
    lead = "Lễ chuyển giao Bệnh viện Điều dưỡng, phục hồi chức năng Trung ương đã diễn ra."
    assert topics("Chuyển giao hai bệnh viện", lead) == ["personnel"]
    # Syllables are matched across commas: "Trung ương Đảng, Bộ trưởng" holds no "đảng bộ".
    lead = "Ủy viên Ban chấp hành TW Đảng, Bộ trưởng Bộ Y tế chủ trì hội nghị."
    assert "personnel" not in topics("Đổi mới thái độ phục vụ người bệnh", lead)


def test_care_paid_by_insurance_is_insurance_news() -> None:
    assert topics("Khám, chữa bệnh BHYT không đúng tuyến hưởng bao nhiêu?") == ["health-insurance"]
    assert "medical-services" in topics("Bệnh viện tăng giờ khám chữa bệnh dịp Tết")


def test_treatment_protocols_are_clinical_care() -> None:
    assert topics("Phác đồ mới điều trị bệnh tay chân miệng") == [
        "disease-control",
        "medical-services",
    ]


def test_title_weighs_more_than_body() -> None:
    # The first paragraph is the lead; a mention further down the body only supports.
    body = (
        "Hội nghị đánh giá kết quả công tác năm 2025 của các đơn vị.\n"
        "Cuộc họp cũng nhắc tới an toàn thực phẩm trong bữa ăn tập thể."
    )
    assert "food-safety" not in topics("Hội nghị tổng kết công tác năm 2025", body=body)
    assert "food-safety" in topics("Hội nghị về an toàn thực phẩm năm 2025")


def test_explain_names_the_phrases() -> None:
    result = C.classify("Ngộ độc thực phẩm sau ăn bánh mì ở Vũng Tàu")
    phrases = {(e.phrase, e.field) for e in result.explain["food-safety"]}
    assert ("ngộ độc thực phẩm", "title") in phrases


def test_catalog_edit_changes_results(tmp_path: Path) -> None:
    text = (PROJECT_ROOT / "seeds" / "topics.toml").read_text(encoding="utf-8")
    text += (
        '\n[[topic]]\nslug = "mental-health"\nvi = "Sức khỏe tâm thần"\nen = "Mental health"\n'
        'aliases = ["suc khoe tam than"]\nstrong = ["sức khỏe tâm thần", "trầm cảm"]\nweak = []\n'
    )
    edited = tmp_path / "topics.toml"
    edited.write_text(text, encoding="utf-8")
    catalog = load_catalog(edited)
    assert catalog.fingerprint != CATALOG.fingerprint
    assert (
        "mental-health"
        in Classifier(catalog).classify("Gia tăng trầm cảm ở thanh thiếu niên").topics
    )
    assert "mental-health" not in C.classify("Gia tăng trầm cảm ở thanh thiếu niên").topics


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[topic]]\nslug = "Bad Slug"\nvi = "x"\nen = "x"\n', "slug"),
        (
            '[[topic]]\nslug = "a"\nvi = "x"\nen = "x"\n'
            '[[topic]]\nslug = "a"\nvi = "y"\nen = "y"\n',
            "duplicate",
        ),
        ('[[topic]]\nslug = "a"\nen = "x"\n', "missing vi"),
        ("not toml at all [", "topics.toml"),
        (
            '[leadership_rule]\nforeign_topic = "nowhere"\n'
            '[[topic]]\nslug = "a"\nvi = "x"\nen = "x"\n',
            "foreign_topic",
        ),
        (
            '[leadership_rule]\nvisit_topic = "nowhere"\n'
            '[[topic]]\nslug = "a"\nvi = "x"\nen = "x"\n',
            "visit_topic",
        ),
    ],
)
def test_invalid_catalog_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "topics.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match=message):
        load_catalog(path)


def test_jsonl_contract_keeps_order_and_survives_bad_lines() -> None:
    lines = [
        json.dumps({"title": "Ngộ độc thực phẩm ở Vũng Tàu"}),
        "not json",
        json.dumps({"summary": "no title"}),
        json.dumps({"title": "Bộ trưởng Đào Hồng Lan tiếp đại diện UNICEF", "section": None}),
    ]
    out = [json.loads(line) for line in classify_jsonl(lines, CATALOG)]
    assert [o["topics"] for o in out] == [["food-safety"], [], [], ["leadership", "international"]]
    assert out[3]["leaders"] == ["Đào Hồng Lan"]
    assert "error" in out[1] and "error" in out[2] and "error" not in out[0]


def test_cli_classify_reads_stdin_writes_stdout() -> None:
    lines = "\n".join(json.dumps({"title": f"Tiêm chủng sởi đợt {i}"}) for i in range(200))
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "classify", "--explain"],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
    )
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 200
    assert all(o["topics"] == ["disease-control"] for o in out)
    assert out[0]["explain"]["disease-control"][0]["field"] == "title"


def _micro_f1(name: str, kind: str) -> float:
    tp = fp = fn = 0
    for item in labelled.load(name):
        result = C.classify(item.title, item.summary, item.body, item.section)
        got = set(getattr(result, kind))
        gold = set(item.topics if kind == "topics" else item.leaders)
        tp, fp, fn = tp + len(got & gold), fp + len(got - gold), fn + len(gold - got)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    return 2 * precision * recall / (precision + recall)


def test_quality_on_the_labelled_seed_items() -> None:
    assert _micro_f1("labelled_items", "topics") >= 0.92
    assert _micro_f1("labelled_items", "leaders") >= 0.98


def test_every_label_names_an_item_that_exists() -> None:
    """Labels point at items by source and key; a parser change that loses or renames one
    must fail here, not silently shrink the evaluation."""
    for name, size in (("labelled_items", 82), ("heldout_items", 54)):
        items = labelled.load(name)
        assert len(items) == size
        assert all(item.title and item.topics <= SLUGS for item in items)


def test_deputy_minister_le_duc_luan_is_a_leader() -> None:
    """A current Deputy Minister (on the ministry's 2025-2026 listings) was not in the catalog."""
    for title in (
        "Thứ trưởng Lê Đức Luận làm việc với tỉnh Quảng Ninh về y tế cơ sở",
        "Deputy Minister Le Duc Luan receives a WHO delegation",
    ):
        result = C.classify(title)
        assert result.leaders == ["Lê Đức Luận"] and "leadership" in result.topics


@pytest.mark.parametrize(
    "title",
    [
        "Cựu Bộ trưởng Bộ Y tế nhận sai, xin lỗi về món quà 2,25 triệu USD của Việt Á",
        "Nguyên Bộ trưởng Nguyễn Thị Kim Tiến xúc động nhận hoa từ Thủ tướng",
        "Những lần dính án kỷ luật của cựu Thứ trưởng Bộ Y tế Cao Minh Quang",
        "Investigating Former Health Minister Nguyen Thi Kim Tien: allegations",
    ],
)
def test_a_former_minister_in_the_news_is_not_leadership(title: str) -> None:
    assert "leadership" not in C.classify(title).topics


def test_the_surname_nguyen_is_not_former() -> None:
    """'nguyên' (former) and 'Nguyễn' fold alike: only the word with its marks counts."""
    assert "leadership" in C.classify("Thứ trưởng Nguyễn Tri Thức làm việc tại Cà Mau").topics
    assert "leadership" in C.classify("Deputy Minister Nguyen Tri Thuc visits Ca Mau").topics


def test_a_deputy_minister_named_before_taking_office_is_not_a_current_leader() -> None:
    """Nguyễn Tri Thức became Deputy Minister on 29/6/2024; before that he ran Chợ Rẫy."""
    title = "Ông Nguyễn Tri Thức chủ trì ca ghép tạng tại Bệnh viện Chợ Rẫy"
    before = C.classify(title, published=date(2023, 5, 10))
    assert before.leaders == [] and "leadership" not in before.topics
    after = C.classify(title, published=date(2024, 8, 1))
    assert after.leaders == ["Nguyễn Tri Thức"] and "leadership" in after.topics
    # Undated: the text cannot rule him out.
    assert C.classify(title).leaders == ["Nguyễn Tri Thức"]


def test_a_former_ministers_trial_is_not_leadership() -> None:
    """Nguyễn Thanh Long left office in June 2022: his trial names no current leader."""
    trial = C.classify(
        "Ông Nguyễn Thanh Long hầu tòa phiên phúc thẩm vụ Việt Á",
        "Tòa án nhân dân cấp cao xét xử phúc thẩm ông Nguyễn Thanh Long và 10 bị cáo.",
        published=date(2024, 5, 15),
    )
    assert trial.leaders == [] and "leadership" not in trial.topics
    # In his term he was the Minister, and his work was leadership activity.
    in_term = C.classify(
        "Bộ trưởng Nguyễn Thanh Long chỉ đạo chống dịch COVID-19 tại Bắc Giang",
        published=date(2021, 5, 20),
    )
    assert in_term.leaders == ["Nguyễn Thanh Long"] and "leadership" in in_term.topics
    # Undated, the text's "cựu" (former) says it, for him and for a plural "2 cựu Thứ trưởng".
    assert C.classify("Cựu Bộ trưởng Bộ Y tế Nguyễn Thanh Long tiếp tục hầu tòa").leaders == []
    two = C.classify(
        "2 cựu Thứ trưởng Y tế liên quan gì vụ 3,8 triệu USD?",
        "Ông Cao Minh Quang thiếu trách nhiệm; còn ông Trương Quốc Cường có liên quan.",
    )
    assert two.leaders == [] and "leadership" not in two.topics


def test_classify_jsonl_reads_the_optional_publication_date() -> None:
    line = {"title": "Thứ trưởng Nguyễn Tri Thức làm việc tại Cà Mau"}
    dated = [json.dumps({**line, "published": p}) for p in ("2023-01-05", "2025-03-01T08:00:00")]
    out = [json.loads(x) for x in classify_jsonl([json.dumps(line), *dated], C)]
    assert [o["leaders"] for o in out] == [["Nguyễn Tri Thức"], [], ["Nguyễn Tri Thức"]]
    (bad,) = classify_jsonl([json.dumps({**line, "published": "hôm qua"})], C)
    assert "published must be an ISO date" in json.loads(bad)["error"]


def test_catalog_terms_of_office() -> None:
    assert [x.name for x in CATALOG.current_leaders][:1] == ["Đào Hồng Lan"]
    former = CATALOG.leader("nguyen-thanh-long")
    assert former is not None and not former.current
    assert former not in CATALOG.current_leaders
    base = {"topic": [{"slug": "a", "vi": "A", "en": "A"}]}
    leader = {"slug": "x", "name": "X", "title_vi": "T", "title_en": "T"}
    with pytest.raises(CatalogError, match="until comes before since"):
        parse_catalog(
            {**base, "leader": [{**leader, "since": "2020-01-02", "until": "2019-01-01"}]}
        )
    with pytest.raises(CatalogError, match="since must be a date"):
        parse_catalog({**base, "leader": [{**leader, "since": "soon"}]})


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        # Verbs no list holds: the ministry's leader is the headline's actor.
        ("Bộ trưởng Bộ Y tế khuyến khích thầy thuốc trẻ đẩy mạnh nghiên cứu", ""),
        ("Thứ trưởng Nguyễn Tri Thức nêu 5 điểm nghẽn của y tế cơ sở", ""),
        ("Hà Nội: Thứ trưởng Bộ Y tế Đỗ Xuân Tuyên biểu diễn văn nghệ cùng y bác sĩ", ""),
        # The lead's actor, after a date.
        (
            "Tiêu chuẩn nhân viên y tế thôn, bản từ năm 2024",
            "Ngày 29/11/2023, Bộ trưởng Bộ Y tế ban hành Thông tư 27/2023/TT-BYT về y tế thôn bản.",
        ),
        ("Health minister rallies doctors against dengue", ""),
        ("Deputy Minister Tran Van Thuan outlines cancer screening plan", ""),
        (
            "Vietnam, UK boost health cooperation",
            "Acting Minister of Health Nguyen Thanh Long and British Ambassador Gareth Ward "
            "signed a memorandum of understanding on July 15.",
        ),
    ],
)
def test_the_ministrys_leader_as_actor_is_leadership_whatever_the_verb(
    title: str, summary: str
) -> None:
    assert "leadership" in C.classify(title, summary, published=date(2026, 3, 1)).topics or (
        "Nguyen Thanh Long" in summary
        and "leadership" in C.classify(title, summary, published=date(2020, 7, 16)).topics
    )


@pytest.mark.parametrize(
    ("title", "summary"),
    [
        # Another ministry's minister, the Prime Minister's act, a province's leader.
        ("Bộ trưởng Tô Lâm nêu đề nghị mở rộng hợp tác y tế với Nhật Bản", ""),
        ("Bộ trưởng Bộ Tài chính Nguyễn Văn Thắng nêu giải pháp chi ngân sách cho y tế", ""),
        ("Thủ tướng trao quyết định giao Quyền Bộ trưởng Bộ Y tế cho bà Đào Hồng Lan", ""),
        (
            "Bắc Ninh có tân Bí thư Tỉnh ủy",
            "Bí thư Tỉnh ủy Bắc Ninh Đào Hồng Lan được điều động giữ chức Bộ trưởng Y tế.",
        ),
        ("Thứ trưởng Bộ Y tế Trần Văn Thuấn được phân công phụ trách Bệnh viện Việt Đức", ""),
        ("Minister Nguyen Kim Son outlines school health checks", ""),
        ("Party Secretary of Bac Ninh appointed Acting Minister of Health", ""),
        ("Lao Health Minister Bounfeng Phommalaysith hails Vietnamese doctors", ""),
    ],
)
def test_a_leader_who_is_not_the_actor_or_not_ours_is_not_leadership(
    title: str, summary: str
) -> None:
    assert "leadership" not in C.classify(title, summary, published=date(2026, 3, 1)).topics


def test_the_ministrys_leader_acting_in_the_bodys_first_lines_is_leadership() -> None:
    body = (
        "Hội nghị do Hội Đột quỵ tổ chức.\n"
        "Phát biểu tại buổi lễ, GS.TS Trần Văn Thuấn, Thứ trưởng Bộ Y tế cho biết, đột quỵ là "
        "một trong những nguyên nhân hàng đầu gây tử vong."
    )
    result = C.classify("Ứng dụng trí tuệ nhân tạo trong điều trị đột quỵ", "", body)
    assert "leadership" in result.topics
    # Someone else's leader in the body does not count there.
    other = body.replace("GS.TS Trần Văn Thuấn, Thứ trưởng Bộ Y tế", "Phó Thủ tướng Lê Thành Long")
    assert "leadership" not in C.classify("Ứng dụng trí tuệ nhân tạo", "", other).topics


def test_a_top_leader_mentioned_in_the_lead_but_not_acting_is_not_leadership() -> None:
    mentioned = C.classify(
        "Bộ Y tế dự kiến chia 5 đợt tăng giá dịch vụ",
        "Theo chỉ đạo của Thủ tướng Chính phủ về việc giảm áp lực tăng giá, Bộ Y tế dự kiến "
        "chia nhỏ việc tăng giá dịch vụ y tế thành 5 đợt.",
    )
    assert "leadership" not in mentioned.topics
    acting = C.classify(
        "Bảo đảm thuốc cho người bệnh",
        "Chiều 24/2, Thủ tướng Phạm Minh Chính làm việc với các bệnh viện về cung ứng thuốc.",
    )
    assert "leadership" in acting.topics
