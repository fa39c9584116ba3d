"""The scorecard as a PNG card, drawn on the server with Pillow (no browser needed)."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw, ImageFont

WIDTH, ROW = 880, 44
GREEN, AMBER, RED, GREY = (46, 125, 50), (239, 140, 0), (198, 40, 40), (120, 120, 120)
INK, PAPER, TRACK = (33, 33, 33), (255, 255, 255), (230, 230, 230)


def _colour(score: float | None) -> tuple[int, int, int]:
    if score is None:
        return GREY
    return GREEN if score >= 0.8 else AMBER if score >= 0.5 else RED


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def render_card(card: dict[str, Any]) -> bytes:
    """A PNG of a scorecard (as returned by the engine's ``_card``): scores only."""
    rounds = card.get("rounds", [])
    height = 250 + ROW * len(rounds) + 90
    image = Image.new("RGB", (WIDTH, height), PAPER)
    draw = ImageDraw.Draw(image)
    title = ImageFont.load_default(size=30)
    body = ImageFont.load_default(size=18)
    small = ImageFont.load_default(size=15)

    draw.text((40, 30), str(card.get("title", "Interview")), font=title, fill=INK)
    subtitle = f"{card.get('category', '').replace('_', ' ')} · {card.get('level', '')}"
    draw.text((40, 72), subtitle.title(), font=body, fill=GREY)

    percent = float(card.get("overall_percent") or 0.0)
    box = (WIDTH - 200, 24, WIDTH - 40, 184)
    draw.ellipse(box, outline=TRACK, width=14)
    draw.arc(box, start=-90, end=-90 + 360 * percent / 100, fill=_colour(percent / 100), width=14)
    label = f"{percent:.0f}%"
    width = draw.textlength(label, font=title)
    draw.text(((box[0] + box[2] - width) / 2, 86), label, font=title, fill=INK)

    y = 200
    draw.text((40, y), "Round", font=small, fill=GREY)
    draw.text((470, y), "Score", font=small, fill=GREY)
    draw.text((690, y), "Time / limit", font=small, fill=GREY)
    y += 28
    for row in rounds:
        score = row.get("score")
        mark = "skipped" if row.get("status") == "skipped" else (
            "pass" if row.get("passed") else "fail" if score is not None else "—"
        )
        draw.text((40, y + 10), str(row.get("title", ""))[:42], font=body, fill=INK)
        draw.rectangle((470, y + 14, 630, y + 30), fill=TRACK)
        if score is not None:
            draw.rectangle((470, y + 14, 470 + int(160 * score), y + 30), fill=_colour(score))
        draw.text((640, y + 12), mark, font=small, fill=INK)
        timing = f"{_minutes(row.get('time_spent_s'))} / {_minutes(row.get('time_limit_s'))}"
        draw.text((700, y + 12), timing, font=small, fill=INK)
        y += ROW
    y += 16
    strengths = ", ".join(card.get("strengths") or []) or "—"
    areas = ", ".join(card.get("areas_to_improve") or []) or "—"
    draw.text((40, y), f"Strengths: {strengths}"[:95], font=small, fill=GREEN)
    draw.text((40, y + 26), f"Areas to improve: {areas}"[:95], font=small, fill=RED)

    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
