"""People name their commune however they like, and the bot finds the new unit."""

from __future__ import annotations

import yaml

from bot.config import PACKAGE_KNOWLEDGE
from knowledge.communes import CommunePicker, load_communes

from .conftest import ROOT

PICKER = CommunePicker(load_communes(PACKAGE_KNOWLEDGE / "communes.yaml"))
MESSY = yaml.safe_load((ROOT / "tests" / "data" / "commune-inputs.yaml").read_text("utf-8"))


def test_all_99_units_are_loaded_with_their_old_units() -> None:
    assert len(PICKER.communes) == 99
    assert sum(c.type == "phuong" for c in PICKER.communes) == 10
    assert "Xã Bản Phiệt" in PICKER.get("02647").old_names


def test_messy_inputs_find_the_right_unit_first() -> None:
    hits = [item for item in MESSY
            if (r := PICKER.search(item["text"])).communes
            and r.communes[0].code == item["code"]]
    misses = [i["text"] for i in MESSY if i not in hits]
    assert len(MESSY) == 50
    assert len(hits) / len(MESSY) >= 0.95, misses


def test_old_name_of_a_former_town_maps_to_the_new_ward() -> None:
    result = PICKER.search("thị trấn Sa Pa")
    assert result.sure and result.communes[0].name == "Phường Sa Pa"


def test_a_name_shared_by_two_units_offers_a_short_list() -> None:
    """Old Phường Nam Cường (Lào Cai city) is now in Cam Đường; Nam Cường also exists."""
    result = PICKER.search("Nam Cường")
    assert {c.name for c in result.communes} == {"Phường Nam Cường", "Phường Cam Đường"}
    assert result.communes[0].name == "Phường Nam Cường"


def test_nothing_close_returns_nothing() -> None:
    assert PICKER.search("Hà Nội Times City").communes == []
    assert PICKER.search("🙂").communes == []
