"""The ministry's 2026 portal API (moh.gov.vn), parsing only.

Listing: POST `<base>/bridge?url=/portal/api/lay_bai_viet_theo_danh_muc` with
`{"CHUYEN_TRANG": "BO_YTE", "NGON_NGU": "TIENG_VIET", "MA_DANH_MUC": "8351", "TYPE": 1,
"PAGE_SIZE": 20, "ISEXTEND": 1, "PAGE_INDEX": n}` (PAGE_INDEX, 1-based, is how we page).
Detail: POST `<base>/bridge?url=/portal/api/layChiTietBaiViet` with
`{"maBaiViet": <aid>, "maDanhMuc": <cid>}`: `tieuDe` title, `moTa` summary (HTML), `noiDung`
body (HTML), `thoiGianBatDauDang` date (`29/04/2026 08:30 AM`). Article pages are
`<base>/index.jsp?pageId=5803&aid=<aid>&cid=<cid>`; the article id is the stable key.

The response envelope of the live API is not documented: the parser accepts a list at the top
level or under the usual keys, and field names in any case.
"""

from __future__ import annotations

from dataclasses import dataclass

from digests.dates import When, parse_when
from digests.errors import MohbotError
from digests.ingest.bounds import Screening
from digests.ingest.htmltext import html_to_text
from digests.records import ParsedItem

LISTING_PATH = "/bridge?url=/portal/api/lay_bai_viet_theo_danh_muc"
DETAIL_PATH = "/bridge?url=/portal/api/layChiTietBaiViet"
# What each category of the portal means for classification.
CATEGORY_SECTIONS: dict[str, str | None] = {
    "8351": "leadership",  # Tin hoạt động (leadership activities)
    "8430": "digital-transformation",  # Chuyển đổi số y tế
    "8358": None,  # Tin nổi bật (highlights)
    "8356": None,  # general news
    "8360": None,  # direction and administration
    "8355": None,  # local news
}
_LIST_KEYS = ("data", "items", "result", "lstbaiviet", "list", "rows", "records", "value")


class PortalFormatError(MohbotError, ValueError):
    """The portal answered something else than articles (an error, an HTML page)."""


@dataclass(frozen=True, slots=True)
class PortalEntry:
    aid: str
    cid: str
    title: str
    published: When | None
    summary: str


@dataclass(frozen=True, slots=True)
class PortalListing:
    entries: list[PortalEntry]
    total: int | None


def listing_url(base: str) -> str:
    return base.rstrip("/") + LISTING_PATH


def detail_url(base: str) -> str:
    return base.rstrip("/") + DETAIL_PATH


def article_url(aid: str | int, cid: str | int, base: str = "https://moh.gov.vn") -> str:
    return f"{base.rstrip('/')}/index.jsp?pageId=5803&aid={aid}&cid={cid}"


def listing_request_body(category_id: str, page: int, page_size: int = 20) -> dict[str, object]:
    return {
        "CHUYEN_TRANG": "BO_YTE",
        "NGON_NGU": "TIENG_VIET",
        "MA_DANH_MUC": str(category_id),
        "TYPE": 1,
        "PAGE_SIZE": page_size,
        "ISEXTEND": 1,
        "PAGE_INDEX": page,
    }


def detail_request_body(aid: str | int, cid: str | int) -> dict[str, object]:
    """The detail request; `aid` and `cid` are digits (the listing's parser checks them)."""
    return {"maBaiViet": int(aid), "maDanhMuc": int(cid) if str(cid).isdigit() else 0}


def _field(record: dict[str, object], *names: str) -> object:
    lowered = {k.lower().replace("_", ""): v for k, v in record.items()}
    for name in names:
        value = lowered.get(name.lower().replace("_", ""))
        if value not in (None, ""):
            return value
    return None


def _records(data: object, depth: int = 0) -> list[dict[str, object]] | None:
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    if isinstance(data, dict) and depth < 3:
        lowered = {k.lower(): v for k, v in data.items()}
        for key in _LIST_KEYS:
            if key in lowered:
                found = _records(lowered[key], depth + 1)
                if found is not None:
                    return found
    return None


def _total(data: object, depth: int = 0) -> int | None:
    if isinstance(data, dict) and depth < 3:
        for key, value in data.items():
            if (
                str(key).lower() in ("totalrecord", "total", "totalcount", "tongso")
                and _digits(value) is not None
            ):
                return int(value)
            nested = _total(value, depth + 1) if isinstance(value, dict) else None
            if nested is not None:
                return nested
    return None


def _check(data: object) -> None:
    if isinstance(data, str | bytes):
        raise PortalFormatError("the portal answered text, not JSON (an error page?)")
    if isinstance(data, dict):
        status = _field(data, "success", "status")
        message = _field(data, "message", "error", "msg")
        if status is False or (message and _records(data) is None and not _field(data, "tieuDe")):
            raise PortalFormatError(f"the portal answered an error: {message or status}")


def _digits(value: object) -> str | None:
    """An id as the portal gives it (a number, or digits in a string), or None."""
    text = str(value).strip() if isinstance(value, int | str) and value is not True else ""
    return text if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _entry(record: dict[str, object]) -> PortalEntry | str:
    """One listed article, or why the record cannot be one."""
    aid = _digits(_field(record, "maBaiViet", "ma_bai_viet", "id", "articleId"))
    if aid is None:
        return "no numeric article id"
    title = html_to_text(str(_field(record, "tieuDe", "title") or ""))
    if not title:
        return "no title"
    return PortalEntry(
        aid=aid,
        cid=_digits(_field(record, "maDanhMuc", "ma_danh_muc", "categoryId")) or "",
        title=title,
        published=parse_when(str(_field(record, "thoiGianBatDauDang", "ngayDang") or "")[:100]),
        summary=html_to_text(str(_field(record, "moTa", "summary") or "")),
    )


def parse_listing_response(data: object, screening: Screening | None = None) -> PortalListing:
    """The articles of a listing page; records that are not articles are skipped and counted
    in `screening` (one never costs the others)."""
    _check(data)
    records = _records(data)
    if records is None:
        raise PortalFormatError("no list of articles in the portal's answer")
    entries = []
    for record in records:
        entry = _entry(record)
        if isinstance(entry, str):
            if screening is not None:
                screening.skip(entry)
            continue
        entries.append(entry)
    return PortalListing(entries, _total(data))


def parse_detail_response(
    data: object,
    aid: str | int,
    cid: str | int,
    section: str | None,
    base: str = "https://moh.gov.vn",
) -> ParsedItem:
    _check(data)
    record = data
    if isinstance(data, dict) and _field(data, "tieuDe") is None:
        records = _records(data)
        record = records[0] if records else _field(data, "data")
    if not isinstance(record, dict) or not _field(record, "tieuDe", "title"):
        raise PortalFormatError(f"article {aid}: no title in the portal's answer")
    title = html_to_text(str(_field(record, "tieuDe", "title")))
    return ParsedItem(
        title=title,
        url=article_url(aid, cid, base),
        published=parse_when(str(_field(record, "thoiGianBatDauDang", "ngayDang") or "")),
        summary=html_to_text(str(_field(record, "moTa", "summary") or "")),
        body=html_to_text(str(_field(record, "noiDung", "content") or ""), paragraphs=True),
        section=section,
        guid=f"moh-portal:{aid}",
    )
