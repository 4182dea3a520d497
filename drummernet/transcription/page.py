"""A self-contained HTML page per transcription, and an index page for a batch.

The page holds, with nothing loaded from elsewhere: the waveform and a piano roll
of the events by class, drawn by the page itself on a canvas from the data inside
it (bar lines from the tracked beats), which zooms (buttons, Ctrl + wheel) and
scrolls; a table of onsets per class; audio players for the input and its
re-synthesis (Ogg/Opus inside the page, about 24 kbit/s, up to
:data:`EMBED_SECONDS`); a playhead that follows whichever player is playing (the
roll scrolls with it; click the roll to jump); and links to the other outputs
written beside it. ``page.html#t=10&zoom=8`` opens it at 10 s, zoomed 8 times.
"""

from __future__ import annotations

import base64
import html
import io
import json
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
    from drummernet.transcription.types import TranscriptionLike

#: Audio longer than this (s) is linked, not embedded, to keep the page small.
EMBED_SECONDS = 600.0
#: libsndfile's Opus setting: 0.93 gives about 24 kbit/s at 16 kHz (a 5-minute page
#: with both players: about 2.5 MB).
OPUS_COMPRESSION = 0.93
#: Waveform peaks per second in the page's data (one byte each).
WAVE_RATE = 100
#: Colours of the roll's rows (matplotlib's tab10, as the PNG plot).
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf")  # fmt: skip

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;color:#222}
h1{font-size:1.4em;margin:.2em 0} .meta{color:#555} table{border-collapse:collapse;margin:.8em 0}
td,th{border:1px solid #ccc;padding:.25em .7em;text-align:right} th{background:#f3f3f3}
.names{text-align:left}
.tools{margin:.4em 0} .tools button{font:inherit;padding:.1em .7em;margin-right:.3em}
.tools span{color:#555;margin-left:.6em}
#scroller{overflow-x:auto;overflow-y:hidden;border:1px solid #ddd;cursor:pointer}
#roll{position:sticky;left:0;display:block}
.players div{margin:.4em 0} audio{width:100%} .links a{margin-right:1em}
"""
_SCRIPT = """
const D=JSON.parse(document.getElementById('data').textContent);
const scroller=document.getElementById('scroller'),spacer=document.getElementById('spacer');
const canvas=document.getElementById('roll'),ctx=canvas.getContext('2d');
const players=[...document.querySelectorAll('audio')],label=document.getElementById('zoom');
const WAVE=70,ROW=22,AXIS=22,LEFT=70,H=WAVE+ROW*D.rows.length+AXIS;
const peaks=Uint8Array.from(atob(D.wave),c=>c.charCodeAt(0));
let fit=1,zoom=1,now=null;
function width(){return scroller.clientWidth-LEFT;}
function pps(){return fit*zoom;}
function layout(){fit=width()/Math.max(D.duration,1e-3);
  spacer.style.width=(LEFT+D.duration*pps())+'px';}
function t0(){return scroller.scrollLeft/pps();}
function x(t){return LEFT+(t-t0())*pps();}
function draw(){const w=scroller.clientWidth,r=window.devicePixelRatio||1;
  if(canvas.width!==w*r){canvas.width=w*r;canvas.height=H*r;
    canvas.style.width=w+'px';canvas.style.height=H+'px';}
  ctx.setTransform(r,0,0,r,0,0);ctx.clearRect(0,0,w,H);ctx.fillStyle='#fff';ctx.fillRect(0,0,w,H);
  const a=t0(),b=a+width()/pps();
  ctx.strokeStyle='#e0e0e0';ctx.fillStyle='#999';ctx.font='11px sans-serif';
  const every=Math.max(1,Math.ceil(40/((D.bars[1]-D.bars[0]||1)*pps())));
  D.bars.forEach((t,i)=>{if(t<a||t>b)return;ctx.beginPath();ctx.moveTo(x(t),0);
    ctx.lineTo(x(t),H-AXIS);ctx.stroke();if(i%every===0)ctx.fillText(String(i+D.first_bar),x(t)+2,H-8);});
  ctx.fillStyle='#777';const mid=WAVE/2;
  for(let px=LEFT;px<w;px++){const s=Math.floor((a+(px-LEFT)/pps())*D.wave_rate);
    const e=Math.max(s+1,Math.floor((a+(px-LEFT+1)/pps())*D.wave_rate));let m=0;
    for(let i=Math.max(0,s);i<Math.min(e,peaks.length);i++)m=Math.max(m,peaks[i]);
    const h=m/255*(mid-4);ctx.fillRect(px,mid-h,1,2*h+1);}
  D.rows.forEach((name,row)=>{ctx.fillStyle='#333';ctx.fillText(name,6,WAVE+row*ROW+15);});
  for(const [t,row,v] of D.events){if(t<a||t>b)continue;ctx.globalAlpha=0.25+0.75*v/127;
    ctx.fillStyle=D.colours[row%D.colours.length];
    ctx.fillRect(x(t)-1,WAVE+row*ROW+3,Math.max(3,Math.min(8,0.02*pps())),ROW-6);}
  ctx.globalAlpha=1;ctx.fillStyle='#fff';ctx.fillRect(0,0,LEFT-2,WAVE);
  if(now!==null&&now>=a&&now<=b){ctx.fillStyle='#d33';ctx.fillRect(x(now)-1,0,2,H);}
  label.textContent=(zoom>1?'x'+(Math.round(zoom*10)/10)+', ':'')+a.toFixed(1)+' to '+
    Math.min(b,D.duration).toFixed(1)+' s; bar numbers below';
  document.body.dataset.view=a.toFixed(2)+','+Math.min(b,D.duration).toFixed(2);}
function setZoom(z,at,px){zoom=Math.min(Math.max(z,1),D.max_zoom);layout();
  scroller.scrollLeft=Math.max(0,at*pps()-px);draw();}
function zoomBy(f,px){const at=t0()+(px-LEFT)/pps();setZoom(zoom*f,at,px-LEFT);}
document.getElementById('in').onclick=()=>zoomBy(2,LEFT+width()/2);
document.getElementById('out').onclick=()=>zoomBy(0.5,LEFT+width()/2);
document.getElementById('fit').onclick=()=>setZoom(1,0,0);
scroller.addEventListener('wheel',e=>{if(!e.ctrlKey&&!e.metaKey)return;e.preventDefault();
  zoomBy(e.deltaY<0?1.25:0.8,e.clientX-scroller.getBoundingClientRect().left);},{passive:false});
scroller.addEventListener('scroll',draw);window.addEventListener('resize',()=>setZoom(zoom,t0(),0));
scroller.addEventListener('click',e=>{const px=e.clientX-scroller.getBoundingClientRect().left;
  const t=Math.max(0,Math.min(D.duration,t0()+(px-LEFT)/pps()));
  const p=players.find(p=>!p.paused)||players[0];now=t;if(p)p.currentTime=t;draw();});
players.forEach(p=>{p.addEventListener('timeupdate',()=>{now=p.currentTime;
    const a=t0(),b=a+width()/pps();if(!p.paused&&(now<a||now>b))
      scroller.scrollLeft=Math.max(0,now*pps()-0.1*width());draw();});
  p.addEventListener('play',()=>players.forEach(q=>{if(q!==p)q.pause();}));});
const hash=new URLSearchParams(location.hash.slice(1));
layout();setZoom(parseFloat(hash.get('zoom'))||1,parseFloat(hash.get('t'))||0,0);
"""


def _data_uri(payload: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def opus_bytes(y: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    """Audio as Ogg/Opus in memory (libsndfile; :data:`OPUS_COMPRESSION`)."""
    buffer = io.BytesIO()
    sf.write(buffer, np.clip(y, -1.0, 1.0), sample_rate, format="OGG", subtype="OPUS",
             compression_level=OPUS_COMPRESSION)  # fmt: skip
    return buffer.getvalue()


def wave_peaks(audio: np.ndarray | None, duration: float, rate: int = WAVE_RATE) -> bytes:
    """The waveform's peak per ``1/rate`` s, scaled to one byte (0-255) each."""
    n = max(1, int(np.ceil(duration * rate)))
    if audio is None or not len(audio):
        return bytes(n)
    hop = SAMPLE_RATE / rate
    edges = np.minimum((np.arange(n + 1) * hop).astype(int), len(audio))
    peaks = np.maximum.reduceat(np.abs(audio), np.minimum(edges[:-1], len(audio) - 1))
    peaks = np.where(edges[1:] > edges[:-1], peaks, 0.0)
    top = float(peaks.max(initial=0.0))
    return (np.round(255 * peaks / top) if top > 0 else peaks).astype(np.uint8).tobytes()


def roll_data(transcription: TranscriptionLike, audio: np.ndarray | None) -> dict:
    """What the page draws: rows (classes), events ``[time, row, velocity]``, bar
    lines (s), the waveform's peaks (:func:`wave_peaks`, base64) and the zoom limit."""
    labels = list(transcription.classes) or sorted({e.label for e in transcription.events})
    row = {label: i for i, label in enumerate(labels)}
    grid = transcription.beat_grid()
    bars = [round(float(t), 4) for t in grid.downbeats() if t <= transcription.duration]
    duration = max(transcription.duration, 1e-3)
    return {
        "duration": round(duration, 4),
        "rows": labels,
        "colours": list(_COLOURS),
        "events": [
            [round(e.time, 4), row[e.label], e.velocity]
            for e in transcription.events
            if e.label in row
        ],
        "bars": bars,
        "first_bar": 2 if grid.pickup else 1,
        "wave": base64.b64encode(wave_peaks(audio, duration)).decode("ascii"),
        "wave_rate": WAVE_RATE,
        "max_zoom": max(1.0, duration / 2.0),  # down to 2 s across the roll
    }


def _player(title: str, audio: np.ndarray | None, fallback: str | None) -> str:
    if audio is not None:
        source = _data_uri(opus_bytes(audio), "audio/ogg")
        return f'<div>{title}<br><audio controls preload="metadata" src="{source}"></audio></div>'
    if fallback:
        link = html.escape(fallback)
        return f'<div>{title}: too long to embed, <a href="{link}">{link}</a></div>'
    return ""


def render_page(
    transcription: TranscriptionLike,
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
    data = json.dumps(roll_data(transcription, audio), separators=(",", ":"))
    data = data.replace("</", "<\\/")  # never closes the script element early
    others = " ".join(
        f'<a href="{html.escape(url)}">{html.escape(label)}</a>' for label, url in links.items()
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(name)} - drummernet</title>
<style>{_STYLE}</style></head><body>
<h1>{html.escape(name)}</h1>
<p class="meta">{transcription.duration:.1f} s &middot; {tempo} &middot;
{len(transcription.events)} onsets &middot; model: {html.escape(transcription.model or "given")}</p>
<div class="tools"><button id="out" title="zoom out">&minus;</button><button id="in"
title="zoom in (or Ctrl + wheel on the roll)">+</button><button id="fit">whole</button><span
id="zoom"></span></div>
<div id="scroller"><canvas id="roll" aria-label="waveform and piano roll"></canvas><div
id="spacer" style="height:1px"></div></div>
<table><tr><th>class</th><th>onsets</th><th class="names">components</th></tr>{rows}</table>
<div class="players">
{_player("input", audio if embed else None, links.get("input"))}
{_player("re-synthesis (what was transcribed)", resynthesis if embed else None, links.get("wav"))}
</div>
<p class="links">{others}</p>
<script type="application/json" id="data">{data}</script>
<script>{_SCRIPT}</script>
</body></html>
"""


def write_html(
    transcription: TranscriptionLike,
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
