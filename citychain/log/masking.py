"""Personal data as screens and lists show it: surname and stars for names
(张**, 欧阳**), the first three and last two characters of ID numbers.
Shared by every domain so a holder or donor looks the same everywhere."""

from __future__ import annotations

import unicodedata

# Two-character Chinese surnames (复姓) common enough to meet at a counter.
_COMPOUND_SURNAMES = frozenset(
    "欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳 公冶 "
    "太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 颛孙 壤驷 公良 "
    "漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 南门 羊舌 微生 公户 公玉 公仪 梁丘 公仲 "
    "公上 公门 公山 公坚 左丘 公伯 西门 公祖 第五 公乘 贯丘 公皙 南荣 东里 东宫 仲长 子书 子桑 即墨 达奚 "
    "褚师".split()
)


def _is_cjk(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\U00020000" <= char <= "\U0002ffff"


def mask_name(name: str) -> str:
    """张三丰 → 张**, 欧阳娜娜 → 欧阳**; John Smith → J*** S**** (initials only)."""
    name = unicodedata.normalize("NFC", name.strip())
    if not name:
        return ""
    if _is_cjk(name[0]):
        keep = 2 if len(name) > 2 and name[:2] in _COMPOUND_SURNAMES else 1
        return name[:keep] + "*" * max(1, len(name) - keep)
    return " ".join(word[0] + "*" * max(1, len(word) - 1) for word in name.split())


def mask_id_number(text: str) -> str:
    """110101199003074578 → 110*************78; too short to mask safely → all stars."""
    text = text.strip()
    if len(text) < 8:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]
