"""A self-contained HTML page per transcription, and an index page for a batch.

The page holds, with nothing loaded from elsewhere: the waveform and a piano roll
of the events by class (one PNG drawn with matplotlib, bar lines from the tracked
beats), a table of onsets per class, audio players for the input and its
re-synthesis (FLAC inside the page, up to :data:`EMBED_SECONDS`), a playhead that
follows whichever player is playing (click the picture to jump), and links to the
other outputs written beside it.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile as sf

from drummernet.components import COMPONENT_NAMES
from drummernet.config import SAMPLE_RATE
from drummernet.fileio import write_text

if TYPE_CHECKING:
    from drummernet.transcription.api import Transcription

#: Audio longer than this (s) is linked, not embedded, to keep the page small.
EMBED_SECONDS = 600.0
#: Where the plot's time axis starts and ends, as fractions of the picture's width.
_LEFT, _RIGHT = 0.07, 0.99

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;color:#222}
h1{font-size:1.4em;margin:.2em 0} .meta{color:#555} table{border-collapse:collapse;margin:.8em 0}
td,th{border:1px solid #ccc;padding:.25em .7em;text-align:right} th{background:#f3f3f3}
.names{text-align:left}
.roll{position:relative;cursor:pointer} .roll img{width:100%;display:block}
#playhead{position:absolute;top:0;bottom:0;width:2px;background:#d33;left:0;display:none}
.players div{margin:.4em 0} audio{width:100%} .links a{margin-right:1em}
"""
_SCRIPT = """
const roll=document.querySelector('.roll'),head=document.getElementById('playhead');
const players=[...document.querySelectorAll('audio')],L=%LEFT%,R=%RIGHT%,D=%DURATION%;
function show(a){head.style.display='block';head.style.left=(100*(L+(R-L)*a.currentTime/D))+'%';}
players.forEach(a=>{a.addEventListener('timeupdate',()=>show(a));
  a.addEventListener('play',()=>players.forEach(b=>{if(b!==a)b.pause();}));});
roll.addEventListener('click',e=>{const r=roll.getBoundingClientRect();
  const t=D*((e.clientX-r.left)/r.width-L)/(R-L);const a=players.find(p=>!p.paused)||players[0];
  if(a){a.currentTime=Math.max(0,Math.min(D,t));show(a);}});
"""


def _data_uri(payload: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def flac_bytes(y: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Audio as 16-bit FLAC in memory."""
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(y, -1.0, 1.0), sample_rate, format="FLAC", subtype="PCM_16")
    return buffer.getvalue()


def roll_png(transcription: Transcription, audio: np.ndarray | None) -> bytes:
    """The waveform above a piano roll of the events (one row per class), as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(transcription.classes) or sorted({e.label for e in transcription.events})
    duration = max(transcription.duration, 1e-3)
    roll_inches = 0.4 * max(len(labels), 1)
    height = 0.55 + roll_inches + 0.08 + 0.8 + 0.1  # axis labels, roll, gap, wave, top
    fig = plt.figure(figsize=(12, height), dpi=100)
    roll = fig.add_axes((_LEFT, 0.55 / height, _RIGHT - _LEFT, roll_inches / height))
    wave = fig.add_axes(
        (_LEFT, (0.63 + roll_inches) / height, _RIGHT - _LEFT, 0.8 / height), sharex=roll
    )
    wave.tick_params(labelbottom=False)
    if audio is not None and len(audio):
        hop = max(1, len(audio) // 4000)
        frames = np.abs(audio[: len(audio) // hop * hop]).reshape(-1, hop).max(axis=1)
        t = (np.arange(len(frames)) + 0.5) * hop / SAMPLE_RATE
        wave.fill_between(t, -frames, frames, color="0.45", lw=0)
    wave.set_yticks([])
    wave.set_ylabel("audio", fontsize=9)
    for bar in transcription.beat_grid().downbeats():
        roll.axvline(bar, color="0.88", lw=0.8, zorder=0)
    colours = matplotlib.colormaps["tab10"]
    for row, label in enumerate(labels):
        hits = [e for e in transcription.events if e.label == label]
        if hits:
            roll.scatter([e.time for e in hits], [row] * len(hits), marker="|", s=160,
                         c=[colours(row % 10)], alpha=[0.25 + 0.75 * e.velocity / 127
                                                       for e in hits])  # fmt: skip
    roll.set_yticks(range(len(labels)), labels)
    roll.set_ylim(len(labels) - 0.5, -0.5)
    roll.set_xlim(0, duration)
    roll.set_xlabel("time (s); grey lines: bar lines")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _player(title: str, audio: np.ndarray | None, fallback: str | None) -> str:
    if audio is not None:
        source = _data_uri(flac_bytes(audio), "audio/flac")
        return f'<div>{title}<br><audio controls preload="metadata" src="{source}"></audio></div>'
    if fallback:
        link = html.escape(fallback)
        return f'<div>{title}: too long to embed, <a href="{link}">{link}</a></div>'
    return ""


def render_page(
    transcription: Transcription,
    audio: np.ndarray | None,
    resynthesis: np.ndarray | None,
    links: Mapping[str, str] = {},
) -> str:
    """The page's HTML. ``audio``/``resynthesis``: mono at the model's rate (None:
    not embedded; a link named ``"input"`` or ``"wav"`` in ``links`` is offered
    instead); ``links``: ``{label: relative URL}`` of the other outputs."""
    name = Path(transcription.source).name or "transcription"
    embed = transcription.duration <= EMBED_SECONDS
    counts = transcription.counts()
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{counts.get(label, 0)}</td>"
        f"<td class='names'>{html.escape(', '.join(COMPONENT_NAMES[c] for c in members))}"
        "</td></tr>"
        for label, members in transcription.classes.items()
    )
    grid = transcription.beat_grid()
    tempo = f"{grid.tempo:.1f} bpm" if grid.tracked else "no steady beat found"
    picture = _data_uri(roll_png(transcription, audio if embed else None), "image/png")
    script = (
        _SCRIPT.replace("%LEFT%", str(_LEFT))
        .replace("%RIGHT%", str(_RIGHT))
        .replace("%DURATION%", f"{max(transcription.duration, 1e-3):.4f}")
    )
    others = " ".join(
        f'<a href="{html.escape(url)}">{html.escape(label)}</a>' for label, url in links.items()
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(name)} - drummernet</title>
<style>{_STYLE}</style></head><body>
<h1>{html.escape(name)}</h1>
<p class="meta">{transcription.duration:.1f} s &middot; {tempo} &middot;
{len(transcription.events)} onsets &middot; model: {html.escape(transcription.model or "given")}</p>
<div class="roll"><img alt="waveform and piano roll" src="{picture}"><div id="playhead"></div></div>
<table><tr><th>class</th><th>onsets</th><th class="names">components</th></tr>{rows}</table>
<div class="players">
{_player("input", audio if embed else None, links.get("input"))}
{_player("re-synthesis (what was transcribed)", resynthesis if embed else None, links.get("wav"))}
</div>
<p class="links">{others}</p>
<script>{script}</script>
</body></html>
"""


def write_html(
    transcription: Transcription,
    path: str | Path,
    audio: np.ndarray | None,
    resynthesis: np.ndarray | None,
    outputs: Mapping[str, Path] = {},
    source: str | Path | None = None,
) -> None:
    """Write the page; ``outputs`` (``{format: path}``) and ``source`` are linked
    relative to the page's folder."""
    folder = Path(path).parent
    links = {fmt: _relative(p, folder) for fmt, p in outputs.items() if Path(p) != Path(path)}
    if source is not None:
        links = {"input": _relative(source, folder), **links}
    write_text(path, render_page(transcription, audio, resynthesis, links))


def _relative(target: str | Path, folder: Path) -> str:
    """A link from a page in ``folder`` to ``target``."""
    return Path(os.path.relpath(Path(target).resolve(), folder.resolve())).as_posix()


def write_index(path: str | Path, pages: Sequence[tuple[Path, Mapping[str, int]]]) -> None:
    """An index page linking the pages of a batch, with onsets per class of each."""
    folder = Path(path).parent
    labels = sorted({label for _, counts in pages for label in counts})
    head = "".join(f"<th>{html.escape(label)}</th>" for label in labels)
    rows = "".join(
        f'<tr><td class="names"><a href="{html.escape(_relative(page, folder))}">'
        f"{html.escape(page.name)}</a></td>"
        + "".join(f"<td>{counts.get(label, 0)}</td>" for label in labels)
        + "</tr>"
        for page, counts in pages
    )
    write_text(
        path,
        f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>drummernet transcriptions</title>
<style>{_STYLE}</style></head><body><h1>drummernet: {len(pages)} transcriptions</h1>
<table><tr><th class="names">file</th>{head}</tr>{rows}</table></body></html>
""",
    )
