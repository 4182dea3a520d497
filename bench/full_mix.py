"""Benchmark: the full-mix check (``drummernet.mixcheck``) on drums alone and on songs.

Drums alone: Groove MIDI Dataset performances rendered by FluidSynth with a
General MIDI drum kit of the FluidR3 SoundFont (a different kit per file), the
real MDB Drums stems and the shipped example loop. Songs: the same drums plus a
generated accompaniment (bass, a comping instrument, a pad and a lead on a
random four-chord progression in the performance's tempo) rendered by FluidSynth,
mixed at several drum-to-accompaniment levels.

The threshold is chosen on the GMD *validation* split alone (the lowest that
warns about at most 5 % of its drums alone); the test split and the MDB stems
only report how it does. Writes ``bench/results/full_mix/full_mix-<date>.json``.

    OMP_WAIT_POLICY=PASSIVE python bench/full_mix.py [--files 30]
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
from pathlib import Path

import mido
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GMD = ROOT.parent / "shared" / "data" / "groove-midi"
MDB = ROOT.parent / "shared" / "data" / "mdb-drums-dev" / "audio"
EXAMPLE = ROOT / "drummernet" / "examples" / "gmd-rock-100bpm.flac"
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
#: FluidR3 drum kits (bank 128 programs): standard, room, power, electronic, jazz, brush.
DRUM_PROGRAMS = (0, 8, 16, 24, 32, 40)
#: Drum level over the accompaniment's (RMS, dB) of the rendered songs.
DRUM_LEVELS_DB = (-6.0, 0.0, 6.0, 12.0)
SECONDS = 30.0
MAJOR = (0, 2, 4, 5, 7, 9, 11)
PROGRESSIONS = ((0, 4, 5, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 4, 3), (1, 4, 0, 0))


def gmd_files(split: str, n: int) -> list[Path]:
    """The first ``n`` performances of ``split`` lasting at least 20 s."""
    with open(GMD / "info.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["split"] == split]
    return [GMD / r["midi_filename"] for r in rows if float(r["duration"]) >= 20][:n]


def drums_midi(path: Path, program: int) -> mido.MidiFile:
    """The performance with its drum channel set to one FluidR3 kit."""
    midi = mido.MidiFile(path)
    setup = [mido.Message("control_change", channel=9, control=0, value=1, time=0),
             mido.Message("program_change", channel=9, program=program, time=0)]  # fmt: skip
    midi.tracks[0][0:0] = setup
    return midi


def accompaniment(path: Path, rng: np.random.Generator) -> mido.MidiFile:
    """Bass, comping chords, a pad and a lead over ``SECONDS`` in the tempo of ``path``."""
    source = mido.MidiFile(path)
    tempo = next((m.tempo for m in source.tracks[0] if m.type == "set_tempo"), 500000)
    tpb = source.ticks_per_beat
    key = int(rng.integers(12))
    progression = PROGRESSIONS[rng.integers(len(PROGRESSIONS))]
    bars = int(SECONDS / (4 * tempo / 1e6)) + 1
    # bass, comping (piano, e-piano, guitars), pad (strings, choir, synth pads), lead
    choices = ([32, 33, 34, 35, 36, 37, 38, 39], [0, 4, 24, 25, 27], [48, 49, 52, 88, 89],
               [56, 65, 73, 80])  # fmt: skip
    programs = {channel: int(rng.choice(c)) for channel, c in enumerate(choices)}
    events: list[tuple[int, mido.Message]] = []

    def note(channel: int, pitch: int, start: int, length: int, velocity: int) -> None:
        events.append((start, mido.Message("note_on", channel=channel, note=pitch,
                                           velocity=velocity)))  # fmt: skip
        events.append((start + length - 1, mido.Message("note_off", channel=channel, note=pitch)))

    for bar in range(bars):
        degree = progression[bar % 4]
        triad = [key + MAJOR[(degree + i) % 7] + 12 * ((degree + i) // 7) for i in (0, 2, 4)]
        start = bar * 4 * tpb
        for beat in range(0, 8):  # bass in eighths
            note(0, 36 + triad[0] % 12, start + beat * tpb // 2, tpb // 2, 90)
        for beat in range(4):  # comping on each beat
            for pitch in triad:
                note(1, 60 + pitch, start + beat * tpb, tpb * 3 // 4, 70)
        for pitch in triad:  # pad held for the bar
            note(2, 60 + pitch, start, 4 * tpb, 60)
        for beat in range(8):  # lead: scale notes in eighths
            pitch = 72 + key + MAJOR[int(rng.integers(7))]
            note(3, pitch, start + beat * tpb // 2, tpb // 2, 80)
    events.sort(key=lambda e: (e[0], e[1].type == "note_on"))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=tempo, time=0)])
    track += [mido.Message("program_change", channel=c, program=p, time=0)
              for c, p in programs.items()]  # fmt: skip
    now = 0
    for tick, message in events:
        track.append(message.copy(time=tick - now))
        now = tick
    return mido.MidiFile(ticks_per_beat=tpb, tracks=[track])


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2))) + 1e-9


def measure_split(split: str, n: int, seed: int) -> dict:
    """Ratios (dB) of ``n`` performances alone and in mixes at each drum level."""
    from drummernet.kits.builders import render_midi
    from drummernet.mixcheck import harmonic_to_percussive_db

    rng = np.random.default_rng(seed)
    alone, mixes = [], {str(level): [] for level in DRUM_LEVELS_DB}
    length = int(SECONDS * 16000)
    for path in gmd_files(split, n):
        program = int(rng.choice(DRUM_PROGRAMS))
        drums = render_midi(drums_midi(path, program), SOUNDFONT)[:length]
        rest = render_midi(accompaniment(path, rng), SOUNDFONT)[: len(drums)]
        drums = drums[: len(rest)]
        alone.append(harmonic_to_percussive_db(drums))
        for level in DRUM_LEVELS_DB:
            gain = rms(drums) / rms(rest) / 10 ** (level / 20)
            mix = drums + gain * rest
            mixes[str(level)].append(harmonic_to_percussive_db(mix / np.max(np.abs(mix))))
    return {"drums_alone": alone, "mixes": mixes}


def choose_threshold(validation: dict, false_alarms: float = 0.05) -> float:
    """The lowest threshold (dB, on a 0.5 dB grid) that warns about at most a
    ``false_alarms`` share of the validation split's drums alone (a false alarm
    costs a user's trust; a missed mix costs what it cost before the check)."""
    alone = np.sort(validation["drums_alone"])
    allowed = int(false_alarms * len(alone))
    return float(np.floor(alone[-(allowed + 1)] * 2) / 2 + 0.5)


def rates(measured: dict, threshold: float) -> dict:
    """Share of drums-alone inputs warned about, and of mixes (per level) not warned about."""
    return {
        "false_alarms": float(np.mean(np.array(measured["drums_alone"]) > threshold)),
        "missed": {
            k: float(np.mean(np.array(v) <= threshold)) for k, v in measured["mixes"].items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=30, help="performances per split")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()

    from drummernet.audio import load_audio
    from drummernet.mixcheck import FULL_MIX_DB, harmonic_to_percussive_db

    result: dict = {"date": datetime.date.today().isoformat(), "seconds": SECONDS,
                    "shipped_threshold_db": FULL_MIX_DB}  # fmt: skip
    result["validation"] = measure_split("validation", args.files, seed=1)
    result["test"] = measure_split("test", args.files, seed=2)
    chosen = choose_threshold(result["validation"])
    result["chosen_on_validation_db"] = chosen
    real = {p.name: harmonic_to_percussive_db(load_audio(p)) for p in [*sorted(MDB.glob("*.wav")),
                                                                       EXAMPLE]}  # fmt: skip
    result["real_drum_stems"] = real
    for split in ("validation", "test"):
        result[f"{split}_rates"] = rates(result[split], FULL_MIX_DB)
    result["real_stems_warned"] = [k for k, v in real.items() if v > FULL_MIX_DB]
    for split in ("validation", "test"):
        values = result[split]
        print(f"{split}: drums alone max {max(values['drums_alone']):+.1f} dB, median "
              f"{np.median(values['drums_alone']):+.1f}; mixes min by level: "
              + ", ".join(f"{k} dB {min(v):+.1f}" for k, v in values["mixes"].items()))  # fmt: skip
        print(f"  at {FULL_MIX_DB:+.1f} dB: {result[f'{split}_rates']}")
    print("real drum stems: " + ", ".join(f"{k} {v:+.1f}" for k, v in real.items()))
    print(f"threshold chosen on validation: {chosen:+.2f} dB (shipped: {FULL_MIX_DB:+.2f})")
    folder = Path(args.out) / "full_mix"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"full_mix-{result['date']}.json"
    path.write_text(json.dumps(result, indent=1))
    print(f"written {path}")


if __name__ == "__main__":
    main()
