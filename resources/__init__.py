"""Assets shared by the PDF and the GUI layers, and where to find them."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@cache
def cjk_font_path() -> Path:
    """WenQuanYi Micro Hei (TrueType, so reportlab can embed it), from its PyPI package."""
    spec = importlib.util.find_spec("paperang_p2_fonts_cjk")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the CJK font package is not installed; run ./run.sh or ./test.sh once")
    path = Path(spec.origin).parent / "fonts" / "wqy-microhei.ttc"
    if not path.is_file():
        raise FileNotFoundError(f"CJK font missing at {path}")
    return path
