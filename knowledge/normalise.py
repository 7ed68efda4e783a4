"""Text normalisation shared by the FAQ matcher and the commune picker.

Users type Vietnamese with or without diacritics, in chat shorthand, with
typos, or in English. Both the knowledge base (at load) and every message go
through the same steps, so they meet in one folded, expanded vocabulary:

NFC → lowercase → drop invisible characters → fold diacritics (đ→d) →
tokenise (keeping id.vn, 10/10, 57-nq/tw recognisable) → expand chat
abbreviations → canonical synonyms.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Zero-width and direction marks that phones and copy-paste leave behind.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"), None)

# Single-token chat abbreviations for this domain (folded form → folded form).
# Note "dk" is "đăng ký" here, not "được" as general slang lists have it.
ABBREVIATIONS: dict[str, str] = {
    # negation / question particles
    "ko": "khong",
    "k": "khong",
    "kh": "khong",
    "khg": "khong",
    "kg": "khong",
    "hok": "khong",
    "khum": "khong",
    "hem": "khong",
    "hum": "khong",
    "j": "gi",
    "ji": "gi",
    "ntn": "nhu the nao",
    "bn": "bao nhieu",
    "bnh": "bao nhieu",
    "bnhieu": "bao nhieu",
    "nhiu": "nhieu",
    "dc": "duoc",
    "dk": "dang ky",
    "dki": "dang ky",
    "dky": "dang ky",
    "dangky": "dang ky",
    "dkt": "dang ky",
    "ki": "ky",
    "li": "ly",
    "kd": "kinh doanh",
    "tks": "cam on",
    "thx": "cam on",
    "u": "you",
    "r": "roi",
    "vs": "voi",
    "ms": "moi",
    "lm": "lam",
    "ng": "nguoi",
    "wa": "qua",
    "ik": "di",
    "bik": "biet",
    "bit": "biet",
    "trc": "truoc",
    "nx": "nua",
    # people
    "e": "em",
    "c": "chi",
    "mk": "minh",
    "mik": "minh",
    "mh": "minh",
    "t": "toi",
    "ad": "admin",
    "mn": "moi nguoi",
    "b": "ban",
    # domain vocabulary
    "cn": "cong nghe",
    "tmien": "ten mien",
    "tenmien": "ten mien",
    "hkd": "ho kinh doanh",
    "dn": "doanh nghiep",
    "dnnvv": "doanh nghiep nho va vua",
    "sme": "doanh nghiep nho va vua",
    "smes": "doanh nghiep nho va vua",
    "cty": "cong ty",
    "cds": "chuyen doi so",
    "cdso": "chuyen doi so",
    "dmst": "doi moi sang tao",
    "khcn": "khoa hoc cong nghe",
    "kh&cn": "khoa hoc cong nghe",
    "nq": "nghi quyet",
    "sdt": "so dien thoai",
    "dt": "dien thoai",
    "bdhvs": "binh dan hoc vu so",
    "cnscd": "cong nghe so cong dong",
    "tcnscd": "to cong nghe so cong dong",
    "ubnd": "uy ban nhan dan",
    "cccd": "can cuoc",
    "cmnd": "can cuoc",
    "sv": "sinh vien",
    "hs": "hoc sinh",
    "tn": "thanh nien",
    "tp": "thanh pho",
    "lc": "lao cai",
    "gd": "giao duc",
    "ttn": "thanh thieu nien",
    "info": "thong tin",
    "tt": "thong tin",
    "hd": "huong dan",
    "hdan": "huong dan",
    "dtoan": "du toan",
    "tgian": "thoi gian",
    "tg": "thoi gian",
    "dd": "dia diem",
}

# Inside compound codes such as 98/kh-ubnd or 57-nq/tw the letters mean documents.
_DOCUMENT_CODES: dict[str, str] = {
    "kh": "ke hoach",
    "nq": "nghi quyet",
    "qd": "quyet dinh",
    "tw": "trung uong",
    "ttg": "thu tuong",
    "ubnd": "uy ban nhan dan",
    "tt": "thong tu",
    "btc": "bo tai chinh",
    "cp": "chinh phu",
    "tu": "tinh uy",
    "nd": "nghi dinh",
    "qh15": "quoc hoi",
    "bttt": "bo thong tin",
    "btttt": "bo thong tin",
    "ubtvqh15": "quoc hoi",
}

# Multi-token rewrites on the folded, expanded text (word-bounded).
PHRASES: list[tuple[str, str]] = [
    ("id vn", "id.vn"),
    ("biz vn", "biz.vn"),
    ("com vn", "com.vn"),
    ("gov vn", "gov.vn"),
    ("ten mien quoc gia", "ten mien .vn"),
    ("mat tien", "mat phi"),
    ("ton tien", "mat phi"),
    ("tra tien", "mat phi"),
    ("mat bao nhieu", "mat phi bao nhieu"),
    ("free", "mien phi"),
    ("phi phi", "phi"),
    ("sign up", "dang ky"),
    ("signup", "dang ky"),
    ("make in viet nam", "make in vietnam"),
    ("made in vietnam", "make in vietnam"),
    ("chuyen doi so quoc gia", "chuyen doi so"),
    ("doi moi sang tao quoc gia", "doi moi sang tao"),
    ("in vn", "in vietnam"),
    ("lao cai moi", "lao cai"),
    ("nghi quyet so", "nghi quyet"),
]

# English content words mapped onto the Vietnamese vocabulary so that an English
# or half-English question meets the same topics (language is detected on the
# raw text, before this).
ENGLISH_TO_VI: dict[str, str] = {
    "domain": "ten mien",
    "domains": "ten mien",
    "register": "dang ky",
    "registration": "dang ky",
    "registering": "dang ky",
    "fee": "phi",
    "fees": "phi",
    "cost": "phi",
    "costs": "phi",
    "price": "gia",
    "training": "tap huan",
    "trainings": "tap huan",
    "course": "lop",
    "class": "lop",
    "classes": "lop",
    "resolution": "nghi quyet",
    "cancel": "huy",
    "reminder": "nhac",
    "reminders": "nhac",
    "remind": "nhac",
    "startup": "khoi nghiep",
    "startups": "khoi nghiep",
    "innovation": "doi moi sang tao",
    "merger": "sap nhap",
    "merged": "sap nhap",
    "communes": "xa",
    "wards": "phuong",
    "thanks": "cam on",
    "thank": "cam on",
    "hello": "xin chao",
    "hi": "xin chao",
    "hey": "xin chao",
    "privacy": "rieng tu",
    "delete": "xoa",
}

_TOKEN = re.compile(r"[a-z0-9]+(?:[./&-][a-z0-9]+)*")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?$")
_DOMAIN = re.compile(r"^[a-z0-9-]+(?:\.[a-z]{2,})+$")
_AGE = re.compile(r"^(\d{1,2})(?:t|tuoi|y|yo)$")
_ABBR_NUMBER = re.compile(r"^(nq|kh|qd|tt)(\d{1,4})$")
# "ngày 15 tháng 10", "mùng 1 tháng 10", "15 thang 10" → 15/10
_SPOKEN_DATE = re.compile(r"\b(?:(?:ngay|mung|hom) )?(\d{1,2}) thang (\d{1,2})\b")


def _spoken_date(match: re.Match[str]) -> str:
    day, month = int(match.group(1)), int(match.group(2))
    if 1 <= day <= 31 and 1 <= month <= 12:
        return f"{day}/{month}"
    return match.group(0)


def fold(text: str) -> str:
    """Lowercase and strip Vietnamese diacritics, mapping đ→d (NFKD alone deletes đ)."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE).lower()
    text = text.replace("đ", "d").replace("ð", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def has_vietnamese_marks(text: str) -> bool:
    lowered = unicodedata.normalize("NFC", text).lower()
    return "đ" in lowered or fold(lowered) != lowered.translate(_INVISIBLE)


def clean_text(text: str) -> str:
    """NFC, no invisible characters, collapsed white space: what handlers see."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return " ".join(text.split())


def _expand_token(token: str) -> list[str]:
    if _DOMAIN.match(token) and "." in token:
        return [token]
    date = _DATE.match(token)
    if date:
        day, month, year = date.groups()
        parts = [str(int(day)), str(int(month))] + ([year] if year else [])
        return ["/".join(parts)]
    age = _AGE.match(token)
    if age:
        return [age.group(1), "tuoi"]
    numbered = _ABBR_NUMBER.match(token)
    if numbered:
        return [*_DOCUMENT_CODES[numbered.group(1)].split(), numbered.group(2)]
    if any(sep in token for sep in "/-&.") and token not in ABBREVIATIONS:
        out: list[str] = []
        for piece in re.split(r"[./&-]", token):
            if not piece:
                continue
            out.extend(_DOCUMENT_CODES.get(piece, ABBREVIATIONS.get(piece, piece)).split())
        return out
    if token in ABBREVIATIONS:
        return ABBREVIATIONS[token].split()
    if token in ENGLISH_TO_VI:
        return ENGLISH_TO_VI[token].split()
    return [token]


@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """The matcher's canonical form of TEXT (folded, tokenised, expanded)."""
    folded = fold(text)
    tokens: list[str] = []
    for token in _TOKEN.findall(folded):
        tokens.extend(_expand_token(token))
    joined = _SPOKEN_DATE.sub(_spoken_date, " ".join(tokens))
    if not joined:
        return ""
    padded = f" {joined} "
    for before, after in PHRASES:
        if f" {before} " in padded:
            padded = padded.replace(f" {before} ", f" {after} ")
    return " ".join(padded.split())


def tokens(text: str) -> list[str]:
    return normalise(text).split()
