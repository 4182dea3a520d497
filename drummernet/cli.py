"""The ``drummernet`` command: a thin layer that parses arguments and calls the API.

Errors from the library (:class:`~drummernet.errors.DrummerNetError`) become
one line on stderr and exit status 1; nothing below this module prints.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

from drummernet.components import ALL_CLASSES, CLASS_SETS
from drummernet.config import (
    LR_SCHEDULES,
    OBJECTIVES,
    PRESET_DESCRIPTIONS,
    PRESETS,
    REVERB_MODELS,
)
from drummernet.datasets.midi import GMD_SPLITS
from drummernet.errors import ConfigError, DrummerNetError
from drummernet.fileio import write_text
from drummernet.transcription.beats import GRIDS, parse_time_signature
from drummernet.transcription.outputs import FORMATS, OutputOptions


def _show_progress(args: argparse.Namespace) -> bool:
    """Progress bars go to stderr when it is a terminal, unless ``-q``."""
    return sys.stderr.isatty() and not getattr(args, "quiet", False)


def _parse_overrides(pairs: Sequence[str]) -> dict[str, object]:
    """``["key=value", ...]`` -> dict, values read as JSON where possible."""
    changes: dict[str, object] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects KEY=VALUE; got {pair!r}")
        try:
            changes[key] = json.loads(text)
        except json.JSONDecodeError:
            changes[key] = text
    return changes


def cmd_presets(args: argparse.Namespace) -> int:
    width = max(len(name) for name in PRESETS)
    for name in PRESETS:
        print(f"{name:<{width}}  {PRESET_DESCRIPTIONS[name]}")
    return 0


def _add_presets(sub: argparse._SubParsersAction) -> None:
    """The ``presets`` command's arguments."""
    p = sub.add_parser("presets", help="list the named configurations")
    p.set_defaults(func=cmd_presets)


def cmd_config(args: argparse.Namespace) -> int:
    from drummernet.introspect import config_from

    config, _ = config_from(args.source)
    config = config.replace(**_parse_overrides(args.set))
    text = config.to_json() + "\n"
    if args.output:
        write_text(args.output, text)
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def _add_config(sub: argparse._SubParsersAction) -> None:
    """The ``config`` command's arguments."""
    p = sub.add_parser("config", help="print a configuration as JSON (to edit and reuse)")
    p.add_argument("source", nargs="?", default="paper", help="preset, config JSON or model file")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change one field (repeatable), e.g. --set activation=softmax",
    )
    p.add_argument("-o", "--output", help="write to this file instead of stdout")
    p.set_defaults(func=cmd_config)


def cmd_info(args: argparse.Namespace) -> int:
    from drummernet.introspect import describe

    for label, value in describe(args.source):
        print(f"{label:>16}: {value}")
    return 0


def _add_info(sub: argparse._SubParsersAction) -> None:
    """The ``info`` command's arguments."""
    p = sub.add_parser("info", help="describe a preset or a model file")
    p.add_argument(
        "source",
        nargs="?",
        help="preset, config JSON or model file (default: the shipped model)",
    )
    p.set_defaults(func=cmd_info)


def cmd_selfcheck(args: argparse.Namespace) -> int:
    from drummernet.introspect import selfcheck

    check = selfcheck(args.source, args.seconds)
    print(f"configuration {check.config_name}: {args.seconds:g} s synthetic drum pattern")
    print(f"  loss, pattern against itself        {check.same:8.4f}  (expected 0)")
    print(f"  loss, pattern shifted by 10 ms      {check.shifted:8.4f}  (expected > 0)")
    print(f"  loss, {check.network}'s re-synthesis {check.resynthesis:8.4f}")
    print(
        f"  network forward pass: {check.forward_s:.2f} s for {args.seconds:g} s of audio, "
        f"output {check.output_shape}"
    )
    print("selfcheck passed" if check.passed else "selfcheck FAILED")
    return 0 if check.passed else 1


def _add_selfcheck(sub: argparse._SubParsersAction) -> None:
    """The ``selfcheck`` command's arguments."""
    p = sub.add_parser("selfcheck", help="run synthesizer, loss and network on a test pattern")
    p.add_argument("source", nargs="?", help="preset, config JSON or model file (default: "
                   "the shipped model)")  # fmt: skip
    p.add_argument("--seconds", type=float, default=2.0, help="length of the pattern (s)")
    p.set_defaults(func=cmd_selfcheck)


def cmd_kits_list(args: argparse.Namespace) -> int:
    from drummernet.kits.library import list_kits

    kits = list_kits()
    if not kits:
        print("no kits found; build some with: drummernet kits build system")
        return 0
    width = max(3, *(len(kit.name) for kit in kits))
    lacks = {kit.name: f"missing {' '.join(kit.missing)}" if kit.missing else "complete"
             for kit in kits}  # fmt: skip
    room = max(len(text) for text in lacks.values())
    print(f"{'kit':<{width}}  pieces  {'what it lacks':<{room}}  licence")
    for kit in kits:
        licence = textwrap.shorten(kit.license, 40, placeholder=" ...") if kit.license else "-"
        print(
            f"{kit.name:<{width}}  {len(kit.layers):2d}/11   {lacks[kit.name]:<{room}}  {licence}"
        )
    print(f"{len(kits)} kits (kits show NAME: one kit's samples and licence in full)")
    return 0


def cmd_kits_show(args: argparse.Namespace) -> int:
    from drummernet.components import COMPONENT_NAMES, COMPONENTS
    from drummernet.kits.library import fill_sources, get_kit

    kit = get_kit(args.kit)
    print(f"{kit.name}  ({kit.path})")
    for label, value in (
        ("source", kit.source),
        ("license", kit.license),
        ("attribution", kit.attribution),
    ):
        if value:
            print(f"  {label}: {value}")
    sources = fill_sources(kit)
    for component in COMPONENTS:
        layers = kit.layers.get(component, [])
        if layers:
            ranges = ", ".join(f"{lay.min_velocity}-{lay.max_velocity}" for lay in layers)
            detail = f"{len(layers)} layer(s), velocities {ranges}"
        else:
            donor = sources[component]
            detail = f"MISSING, filled from {donor.name if donor else 'no installed kit'}"
        print(f"  {component:<7} {COMPONENT_NAMES[component]:<14} {detail}")
    return 0


def cmd_kits_build(args: argparse.Namespace) -> int:
    from drummernet.kits import builders
    from drummernet.kits.library import is_searched, user_kit_folder

    problems: list[str] = []  # what the builders could not use or skipped
    out_root = Path(args.out) if args.out else user_kit_folder()
    if args.source == "system":
        kits = builders.build_system_kits(out_root, warnings=problems)
    elif args.source in ("procedural", "drumsynth"):
        from tqdm import tqdm

        from drummernet.kits.drumsynth import SYSTEM_PRESETS, write_drumsynth_kits
        from drummernet.kits.procedural import write_procedural_kits

        def progress(it: Iterable, total: int) -> Iterable:
            return tqdm(it, total=total, desc="kits", unit="kit", disable=not sys.stderr.isatty())

        if args.source == "procedural":
            kits = write_procedural_kits(out_root, args.count, args.seed, progress=progress)
        else:
            kits = write_drumsynth_kits(out_root, args.count, args.seed,
                                        args.path or SYSTEM_PRESETS, progress=progress,
                                        tom_presets=args.tom_presets)  # fmt: skip
    elif not args.path:
        raise DrummerNetError(f"kits build {args.source} needs a PATH")
    else:
        path = Path(args.path)
        name = args.name or None
        default = path.stem.lower().replace(" ", "-")
        if args.source == "soundfont":  # a folder per preset, named as the kit
            default = builders.soundfont_kit_name(path, args.program, args.bank)
        folder = out_root / (name or default)
        if args.source == "hydrogen":
            kits = [builders.build_from_hydrogen(path, folder, name, warnings=problems)]
        elif args.source == "soundfont":
            kits = [
                builders.build_from_soundfont(
                    path, folder, args.program, name, velocities=args.velocities, bank=args.bank
                )
            ]
        else:
            kits = [builders.build_from_folder(path, folder, name, warnings=problems)]
    # a file that could not be used is an error (non-zero exit); a file whose name
    # matches no component is only skipped
    errors = [w for w in problems if not w.endswith(builders.SKIPPED)]
    for problem in problems:
        kind = "error" if problem in errors else "warning"
        print(f"drummernet: {kind}: {problem}", file=sys.stderr)
    for kit in kits if len(kits) <= 20 else ():
        missing = f" (missing {' '.join(kit.missing)})" if kit.missing else ""
        print(f"built {kit.name}: {len(kit.layers)}/11 components{missing} -> {kit.path}")
    if len(kits) > 20:
        print(f"built {len(kits)} kits ({kits[0].name} ... {kits[-1].name}) -> {out_root}")
    if kits and not is_searched(out_root):
        print(
            f"note: {out_root} is not on the kit search path: use these kits by folder "
            f"(e.g. {kits[0].path}) or with DRUMMERNET_KITS={out_root} drummernet ...",
            file=sys.stderr,
        )
    return 1 if errors else 0


def _add_kits(sub: argparse._SubParsersAction) -> None:
    """The ``kits list, show and build`` command's arguments."""
    kits = sub.add_parser("kits", help="drum kits: list, show, build").add_subparsers(
        dest="kits_command", required=True, metavar="ACTION"
    )
    p = kits.add_parser("list", help="installed kits and the components each lacks")
    p.set_defaults(func=cmd_kits_list)
    p = kits.add_parser("show", help="one kit's samples, layers and fallbacks")
    p.add_argument("kit", help="kit name or folder")
    p.set_defaults(func=cmd_kits_show)
    p = kits.add_parser("build", help="extract a kit from Hydrogen, SoundFont or WAV sources")
    p.add_argument(
        "source",
        choices=["hydrogen", "soundfont", "folder", "system", "procedural", "drumsynth"],
        help="kind of source; 'system' builds every kit found on this machine; "
        "'procedural' synthesises --count kits, every parameter drawn at random; "
        "'drumsynth' renders --count kits from DrumSynth presets (lmms-common), a "
        "preset, tuning and length drawn per component",
    )
    p.add_argument(
        "path",
        nargs="?",
        help="drumkit folder, .sf2 file or folder of samples (drumsynth: the presets' "
        "folder, default /usr/share/lmms/samples/drumsynth)",
    )
    p.add_argument("--name", help="kit name (default: from the source)")
    p.add_argument("--program", type=int, default=0, help="SoundFont preset (default: 0)")
    p.add_argument(
        "--bank",
        type=int,
        default=128,
        help="SoundFont bank of the preset (default: 128, General MIDI drum kits; e.g. 0 "
        "for a kit stored as a melodic preset, as the AVL Drumkits are)",
    )
    p.add_argument(
        "--velocities",
        type=int,
        nargs="+",
        default=[98],
        help="SoundFont velocities to render, one layer each",
    )
    p.add_argument(
        "--count", type=int, default=100, help="procedural, drumsynth: kits to make (100)"
    )
    p.add_argument(
        "--seed", type=int, default=0, help="procedural, drumsynth: kit i is drawn from (seed, i)"
    )
    p.add_argument(
        "--tom-presets",
        choices=["one", "each"],
        default="one",
        help="drumsynth: a kit's three toms from one preset tuned apart (default), or a "
        "preset each",
    )
    p.add_argument("--out", help="folder to write kits into (default: the user kit folder)")
    p.set_defaults(func=cmd_kits_build)


def cmd_render(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from drummernet.datasets.augment import DRY, Augmentation
    from drummernet.datasets.render import midi_jobs, render_set
    from drummernet.kits.library import DEFAULT_FALLBACKS

    jobs = midi_jobs(args.inputs, args.kit, seed=args.seed, split=args.split, limit=args.limit)
    if not jobs:
        raise DrummerNetError("no MIDI files found in " + ", ".join(args.inputs))
    manifest = render_set(
        jobs,
        args.out,
        fallbacks=args.fallback or list(DEFAULT_FALLBACKS),
        augmentation=DRY if args.dry else Augmentation(),
        seed=args.seed,
        workers=args.workers,
        progress=lambda it, total: tqdm(
            it, total=total, desc="render", unit="track", disable=not _show_progress(args)
        ),
        overwrite=args.overwrite,
    )
    for failure in manifest["failed"]:
        print(f"drummernet: error: {failure['error']}", file=sys.stderr)
    tracks = manifest["tracks"]
    hours = sum(t["seconds"] for t in tracks) / 3600
    print(
        f"rendered {len(tracks)} tracks ({hours:.2f} h, {sum(t['hits'] for t in tracks)} hits) "
        f"into {args.out}; {len(manifest['failed'])} failed"
    )
    return 0 if tracks and not manifest["failed"] else 1


def _add_render(sub: argparse._SubParsersAction) -> None:
    """The ``render`` command's arguments."""
    p = sub.add_parser("render", help="render drum MIDI through kits into labeled audio")
    p.add_argument(
        "inputs", nargs="+", help="MIDI files, folders of them, or a Groove MIDI Dataset folder"
    )
    p.add_argument("--kit", action="append", required=True, help="kit name or folder (repeatable)")
    p.add_argument("--out", required=True, help="folder for the audio, labels and render.json")
    p.add_argument(
        "--split",
        choices=GMD_SPLITS,
        help="Groove MIDI Dataset split (a folder with info.csv only)",
    )
    p.add_argument("--limit", type=int, help="render only the first N tracks")
    p.add_argument(
        "--fallback",
        action="append",
        default=None,
        help="kit that fills components the chosen kit lacks (default: fluidr3-standard)",
    )
    p.add_argument("--dry", action="store_true", help="no reverb, EQ, compression, noise, jitter")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, help="processes to render with")
    p.add_argument("--overwrite", action="store_true", help="replace an existing rendered set")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_render)


def _transcribe_job(job: tuple) -> tuple[str, dict[str, int] | None, str | None, list[str]]:
    """Transcribe one file: ``(path, onsets per class or None, error or None,
    warnings)``. Warnings are collected, not printed, so that they reach the main
    process from a worker and are shown beside the file's line."""
    from tqdm import tqdm

    from drummernet.transcription.files import transcribe_file

    kwargs, path, show, threads = job
    if threads:
        import torch

        torch.set_num_threads(threads)
    # A bar in audio seconds for each file in its turn (not from worker processes).
    bar = tqdm(unit="s", unit_scale=True, desc=Path(path).name[:30], leave=False, disable=not show)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            counts = transcribe_file(path, **kwargs, progress=bar.update)
            error = None
        except DrummerNetError as exc:
            counts, error = None, str(exc)
        except Exception as exc:  # any other failure is this file's, never the whole batch's
            counts, error = None, f"{path}: failed ({type(exc).__name__}: {exc})"
        finally:
            bar.close()
    return str(path), counts, error, [str(w.message) for w in caught]


def _peak_picking(net: object, args: argparse.Namespace) -> object:
    """The model's peak picking with ``--delta``, ``--threshold``, ``--strict-classes``,
    ``--wait-s`` and ``--floor`` applied (the same for transcribe and evaluate)."""
    from drummernet.transcription.notes import PeakPicking, parse_thresholds

    return PeakPicking.with_overrides(
        net,
        delta=args.delta,
        thresholds=parse_thresholds(args.threshold),
        strict_classes=args.strict_classes,
        wait_s=args.wait_s,
        floor=args.floor,
    )


def _time_signature(text: str) -> int:
    try:
        return parse_time_signature(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--time-signature ")) from None


def _write_index(args: argparse.Namespace, done: list[tuple[str, dict[str, int]]],
                 stems: dict[Path, str]) -> None:  # fmt: skip
    """index.html beside the pages of a batch (in --out-dir, else the inputs' common folder)."""
    from drummernet.transcription.outputs import output_paths
    from drummernet.transcription.page import write_index

    pages = [(output_paths(p, ["html"], args.out_dir, stems[Path(p)])["html"], c) for p, c in done]
    folder = Path(os.path.commonpath([page.parent.resolve() for page, _ in pages]))
    write_index(folder / "index.html", pages)
    print(f"index of {len(pages)} pages: {folder / 'index.html'}")


def cmd_band_render(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from drummernet.datasets.accompaniment import write_band_clips

    manifest = write_band_clips(
        args.out, args.clips, seconds=args.seconds, seed=args.seed, split=args.split,
        workers=args.workers,
        progress=lambda it, total: tqdm(it, total=total, desc="band", unit="clip",
                                        disable=not _show_progress(args)),
    )  # fmt: skip
    minutes = len(manifest["clips"]) * args.seconds / 60
    print(f"wrote {len(manifest['clips'])} band clips ({minutes:.1f} min, {args.split} "
          f"programs, {', '.join(manifest['soundfonts'])}) into {args.out}")  # fmt: skip
    return 0


def cmd_band_mix(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from drummernet.datasets.band_sets import mix_band_into_set

    for dataset in args.datasets:
        bar = {"desc": Path(dataset).name, "unit": "track", "disable": not _show_progress(args)}
        folders = mix_band_into_set(
            dataset,
            args.out,
            levels_db=args.levels,
            seed=args.seed,
            max_seconds=args.max_seconds,
            progress=lambda it, total, bar=bar: tqdm(it, total=total, **bar),
            variants=args.variants,
        )
        print(f"{dataset}: wrote {', '.join(str(f) for f in folders)}")
    return 0


def _add_band(sub: argparse._SubParsersAction) -> None:
    """The ``band`` commands' arguments: accompaniment for training and validation."""
    band = sub.add_parser(
        "band", help="a band without drums: clips to train with, mixes to validate on"
    ).add_subparsers(dest="band_command", required=True, metavar="{render,mix}")
    p = band.add_parser("render", help="render generated accompaniment clips (train --band)")
    p.add_argument("--out", required=True, help="folder for the clips and band.json")
    p.add_argument("--clips", type=int, default=240, help="how many (default: 240)")
    p.add_argument("--seconds", type=float, default=16.0, help="length of each (default: 16)")
    p.add_argument("--split", choices=("train", "validation"), default="train",
                   help="whose programs and SoundFonts (default: train)")  # fmt: skip
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, help="processes to render with")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_band_render)
    p = band.add_parser("mix", help="annotated sets under a band (validation mixes)")
    p.add_argument("datasets", nargs="+", help="annotated sets (rendered, MDB Drums, ...)")
    p.add_argument("--out", required=True, help="folder for the mixed sets (SET+band0dB, ...)")
    p.add_argument("--levels", type=float, nargs="+", default=[0.0, 6.0], metavar="DB",
                   help="band RMS over the drums', one set each (default: 0 6)")  # fmt: skip
    p.add_argument("--max-seconds", type=float, help="keep each track's first seconds only")
    p.add_argument("--variants", type=int, default=1,
                   help="bands per track, each a track of its own (default: 1)")  # fmt: skip
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_band_mix)


def cmd_transcribe(args: argparse.Namespace) -> int:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from tqdm import tqdm

    from drummernet.transcription.api import get_model
    from drummernet.transcription.files import expand_inputs
    from drummernet.transcription.outputs import output_paths, output_stems

    files = expand_inputs(args.inputs)
    net = get_model(args.model)  # a missing or broken model fails once, before any file
    peaks = _peak_picking(net, args)
    if args.separate:  # Demucs or its weights missing: one line, before any file
        from drummernet.separation import load_separator, separator_weights

        load_separator(separator_weights(args.separate))
    options = OutputOptions(args.quantize, args.time_signature, args.kit)
    kwargs = {
        "options": options,
        "formats": args.format,
        "out_dir": args.out_dir,
        "overwrite": args.overwrite,
        "model": args.model,
        "classes": args.classes,
        "peaks": peaks,
        "separate": args.separate,
    }
    show = _show_progress(args)
    parallel = args.workers > 1 and len(files) > 1
    threads = args.threads or (max(1, (os.cpu_count() or 1) // args.workers) if parallel else 0)
    stems = output_stems(files, args.out_dir)  # distinct names where stems collide
    jobs = [({**kwargs, "stem": stems[path]}, path, show and not parallel, threads)
            for path in files]  # fmt: skip
    totals: dict[str, int] = {}
    failed = 0
    done: list[tuple[str, dict[str, int]]] = []
    if parallel:
        # spawned, not forked: a fork of a process whose torch threads are running
        # (e.g. main() called from a program that already used the model) can hang
        pool = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"))
        results = pool.map(_transcribe_job, jobs)
    else:
        pool, results = None, map(_transcribe_job, jobs)
    bar = tqdm(results, total=len(jobs), unit="file", disable=not show)
    for path, counts, error, notes in bar:
        for note in notes:
            tqdm.write(f"drummernet: warning: {note}", file=sys.stderr)
        if error is not None:
            failed += 1
            tqdm.write(f"drummernet: error: {error}", file=sys.stderr)
            continue
        done.append((path, counts or {}))
        for label, n in (counts or {}).items():
            totals[label] = totals.get(label, 0) + n
        if not args.quiet:
            summary = " ".join(f"{k}={v}" for k, v in sorted((counts or {}).items())) or "no onsets"
            written = output_paths(path, args.format, args.out_dir, stems[Path(path)]).values()
            tqdm.write(f"{path}: {summary} -> {', '.join(map(str, written))}")
    if pool is not None:
        pool.shutdown()
    if "html" in args.format and len(done) > 1:
        try:
            _write_index(args, done, stems)
        except DrummerNetError as exc:
            failed += 1
            print(f"drummernet: error: {exc}", file=sys.stderr)
    onsets = " ".join(f"{k}={v}" for k, v in sorted(totals.items())) or "none"
    print(f"{len(jobs) - failed} of {len(jobs)} file(s) done, {failed} failed; onsets: {onsets}")
    return 0 if failed == 0 and jobs else 1


def _add_transcribe(sub: argparse._SubParsersAction) -> None:
    """The ``transcribe`` command's arguments."""
    p = sub.add_parser("transcribe", help="transcribe drum audio to MIDI, CSV, JSON and a plot")
    p.add_argument("inputs", nargs="+", help="audio files, folders or glob patterns")
    p.add_argument(
        "--model",
        help="model file, or songs: the shipped model trained with a band under its drums "
        "(default: the shipped default model)",
    )
    p.add_argument(
        "--format",
        nargs="+",
        default=["mid"],
        choices=FORMATS,
        help="output formats (several allowed; default: mid): mid (tempo map from the "
        "beats), csv, json, png (plot), musicxml (drum score), wav (re-synthesis through "
        "--kit: NAME.resynth.wav), ab.wav (input left, re-synthesis right), html (a page "
        "with players and a piano roll; an index.html for several files)",
    )
    p.add_argument("--out-dir", help="folder for the outputs (default: next to each input)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument(
        "--classes",
        default="paper",
        choices=list(CLASS_SETS),
        help="paper: KD SD HH; all: plus toms TT, cymbals CY, tambourine OT; components: 11",
    )
    _add_peak_picking_options(p)
    p.add_argument(
        "--quantize",
        choices=[*GRIDS, "auto"],
        help="snap MIDI notes to this grid over the tracked beats (t: triplets; auto: each "
        "bar on 1/16 or 1/8t, the one its notes lie on; default: exact times); the score "
        "(musicxml) always uses a grid, auto unless given",
    )
    p.add_argument(
        "--time-signature",
        default="4/4",
        type=_time_signature,
        help="beats per bar of the MIDI and the score, N/4 (default 4/4)",
    )
    p.add_argument(
        "--kit",
        help="kit (name or folder) that plays the transcription back for wav, ab.wav "
        "and html (default: fluidr3-standard)",
    )
    p.add_argument(
        "--separate",
        nargs="?",
        const="htdemucs",
        metavar="WEIGHTS",
        help="a song: transcribe the drums Demucs separates from it (needs `pip install "
        "demucs` and its htdemucs weights in the Hugging Face cache; or WEIGHTS, a Demucs "
        ".safetensors file)",
    )
    p.add_argument("--workers", type=int, default=1, help="processes for many files")
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="threads per process (default: all cores, or cores / workers with --workers)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only the final summary")
    p.set_defaults(func=cmd_transcribe)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from drummernet.evaluation import report as rep
    from drummernet.transcription.api import get_model

    for path in args.output:  # a bad output name fails before any scoring
        rep.validate_output(path, rep.REPORT_KINDS)
    net = get_model(args.model)
    show = _show_progress(args)

    def progress(tracks: list) -> object:
        return tqdm(tracks, unit="track", leave=False, disable=not show)

    errors: list[str] = []  # tracks left out: one line each, and a non-zero exit
    reports = {
        "drummernet": rep.evaluate_model(
            net,
            args.datasets,
            classes=args.classes,
            peaks=_peak_picking(net, args),
            tune_on=args.tune_on,
            max_seconds=args.max_seconds,
            progress=progress,
            widen_classes=not args.strict_classes,
            errors=errors,
        )
    }
    reports["drummernet"]["model"] = args.model or "default"
    if args.baseline == "nmfd":
        tune = args.baseline_tune_on or (args.tune_on[0] if args.tune_on else None)
        reports["nmfd"] = rep.evaluate_nmfd(
            args.datasets, args.classes, tune, args.max_seconds, progress, errors
        )
    for error in dict.fromkeys(errors):
        print(f"drummernet: error: {error} (track left out)", file=sys.stderr)
    for system, report in reports.items():
        tuning = report.get("tuning")
        if tuning:
            chosen = " ".join(f"{k}={v:g}" for k, v in tuning["chosen"].items())
            added = "".join(
                f"; {label} adds {'+'.join(members)}"
                for label, members in tuning.get("added", {}).items()
            )
            print(f"{system}: thresholds chosen on {tuning['dataset']}: {chosen}{added}")
    print(rep.format_table(reports))
    for path in args.output:
        rep.write_report(reports, path)
        print(f"wrote {path}")
    return 1 if errors else 0


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    """The ``evaluate`` command's arguments."""
    p = sub.add_parser("evaluate", help="score a model on annotated datasets (paper protocol)")
    p.add_argument("datasets", nargs="+", help="dataset folders: rendered, MDB, IDMT, ENST")
    p.add_argument(
        "--model",
        help="model file, or songs: the shipped model trained with a band under its drums "
        "(default: the shipped default model)",
    )
    p.add_argument(
        "--classes", default="paper", choices=[c for c in CLASS_SETS if c != "components"]
    )
    p.add_argument(
        "--tune-on",
        action="append",
        metavar="SET",
        help="validation set to choose per-class thresholds on (repeatable: the sets' "
        "tracks are pooled, e.g. drums alone and under a band)",
    )
    _add_peak_picking_options(p)
    p.add_argument("--max-seconds", type=float, help="score only the start of each track")
    p.add_argument("--baseline", choices=["nmfd"], help="score a classical baseline beside it")
    p.add_argument(
        "--baseline-tune-on",
        help="validation set for the baseline's thresholds (default: --tune-on); lets the "
        "model keep the thresholds stored in it",
    )
    p.add_argument(
        "-o", "--output", action="append", default=[], help="write .json or .md (repeatable)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_evaluate)


def cmd_adapt(args: argparse.Namespace) -> int:
    from drummernet.training.adapt import AdaptOptions, adapt, adapt_per_file
    from drummernet.transcription.api import get_model
    from drummernet.transcription.files import expand_inputs

    out = Path(args.out)
    if out.exists() and not args.overwrite:
        raise DrummerNetError(f"{out} exists (use --overwrite to replace it)")
    net = get_model(args.model)
    options = AdaptOptions(steps=args.steps, learning_rate=args.learning_rate,
                           fit_kit=not args.network_only,
                           reconstruction_weight=args.reconstruction_weight,
                           progress=_show_progress(args))  # fmt: skip
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr))
    run = adapt_per_file if args.per_file else adapt
    results = run(net, expand_inputs(args.audio), out, kit_folder=args.kit, options=options,
                  model_path=str(args.model or ""), say=say)  # fmt: skip
    if not args.per_file:
        results = {"": results}
    failed = False
    for summary in results.values():
        if isinstance(summary, str):  # a file --per-file could not adapt on
            print(f"error: {summary}", file=sys.stderr)
            failed = True
            continue
        _report_skipped(summary["skipped"])
        for note in summary["kit_notes"]:
            print(f"note: kit {note}", file=sys.stderr)
        failed = failed or bool(summary["skipped"])
        print(_adapted_line(summary))
    return 1 if failed else 0


def _add_adapt(sub: argparse._SubParsersAction) -> None:
    """The ``adapt`` command's arguments."""
    p = sub.add_parser("adapt", help="fit a model to your own recordings, without labels")
    p.add_argument("audio", nargs="+", help="audio files, folders or glob patterns")
    p.add_argument("--out", required=True,
                   help="the adapted model file to write (its kit goes beside it, as NAME.kit/); "
                   "with --per-file, the folder of one model and kit per file")  # fmt: skip
    p.add_argument("--model", help="model to start from (default: the shipped model)")
    p.add_argument("--kit", help="your own one-shots (a folder named by component, or a kit): "
                   "the fitted kit starts from them")  # fmt: skip
    p.add_argument("--per-file", action="store_true",
                   help="fit one kit and one model per input file")  # fmt: skip
    p.add_argument(
        "--network-only",
        action="store_true",
        help="fit no kit; adapt the network alone, on your --kit as it is if given, "
        "else on the model's training kits",
    )
    p.add_argument("--steps", type=int, default=100, help="optimizer steps (default 100)")
    p.add_argument("--learning-rate", type=float, default=1e-4)
    p.add_argument(
        "--reconstruction-weight",
        type=float,
        default=0.0,
        metavar="W",
        help="also explain stretches of the recordings through the fitted kit with the "
        "paper's loss, at this weight beside the rhythms' (default 0: off)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_adapt)


def _adapted_line(summary: dict) -> str:
    change = summary["held_loss_after"] - summary["held_loss_before"]
    from drummernet.introspect import kept_words

    kept = kept_words(summary["kept_step"], summary["options"].get("blend", 1.0))
    kit = f", {Path(summary['out']).parent / summary['kit']}/" if summary["kit"] else ""
    card = f" and {Path(summary['out']).with_suffix('.md')}"
    return (
        f"adapted on {len(summary['adapted_on'])} file(s) in {summary['seconds']:.0f} s, "
        f"{summary['steps_run']} steps; held-back loss {summary['held_loss_before']:.4f} -> "
        f"{summary['held_loss_after']:.4f} ({change:+.4f}); kept {kept}; wrote "
        f"{summary['out']}{kit}{card}"
    )


def cmd_ablation(args: argparse.Namespace) -> int:
    from drummernet.evaluation import report as rep
    from drummernet.transcription.api import get_model

    models = {}
    for item in args.models:
        name, sep, path = item.partition("=")
        model = get_model(path if sep else name)
        models[name if sep else model.config.name] = model
    for path in args.output:  # a bad output name fails before any scoring
        rep.validate_output(path, {**rep.REPORT_KINDS, **rep.FIGURE_KINDS})
    from tqdm import tqdm

    def progress(tracks: list) -> object:  # one bar per variant and dataset
        return tqdm(tracks, unit="track", leave=False, disable=not _show_progress(args))

    report = rep.ablation_report(models, args.datasets, max_seconds=args.max_seconds,
                                 progress=progress)  # fmt: skip
    print(rep.format_ablation(report), end="")
    for path in args.output:
        rep.write_ablation(report, path)
        print(f"wrote {path}")
    return 0


def _add_ablation(sub: argparse._SubParsersAction) -> None:
    """The ``ablation`` command's arguments."""
    p = sub.add_parser("ablation", help="the paper's Figure 8: F1 of models trained per ablation")
    p.add_argument("datasets", nargs="+", help="annotated dataset folders")
    p.add_argument(
        "--models",
        nargs="+",
        required=True,
        metavar="[VARIANT=]MODEL",
        help="model files, e.g. paper=runs/paper/best.pt soft=runs/soft/best.pt",
    )
    p.add_argument("--max-seconds", type=float, help="score only the start of each track")
    p.add_argument(
        "-o",
        "--output",
        action="append",
        default=[],
        help=".md, .json, or .png/.pdf/.svg for the figure (repeatable)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ablation)


def _report_skipped(lines: list[str]) -> None:
    """One line per input file that train or adapt could not use (the exit is then 1;
    the job itself ran on the others)."""
    for line in lines:
        print(f"drummernet: error: {line} (skipped)", file=sys.stderr)


#: ``train``'s options that are :class:`~drummernet.training.options.TrainOptions`
#: fields (``--kit`` is stored as ``kits``); an option left out (None) takes the run's
#: own value on ``--resume``, else the default.
_TRAIN_OPTIONS = (
    "data", "kits", "steps", "checkpoint_every", "keep", "validation", "validate_every",
    "validation_tracks", "seed", "device", "workers", "cache_dir", "max_minutes", "init",
    "objective", "split", "validation_classes", "voicing", "voicing_families", "crashes",
    "reverb", "lr_schedule", "band", "band_share", "band_db", "unlabeled", "reconstruction_weight",
)  # fmt: skip


def _train_config(args: argparse.Namespace) -> tuple[object | None, dict[str, object]]:
    """The configuration --config names (None: not given) and the fields --set and
    --batch-size change in it."""
    from drummernet.introspect import config_from

    changes = _parse_overrides(args.set)
    if args.batch_size:
        changes["batch_size"] = args.batch_size
    return (config_from(args.config)[0] if args.config else None), changes


def cmd_train(args: argparse.Namespace) -> int:
    from drummernet.introspect import config_from
    from drummernet.training import TrainOptions, train
    from drummernet.training.checkpoints import read_weights
    from drummernet.training.options import new_run_config
    from drummernet.training.run import resume_settings

    given = {k: getattr(args, k) for k in _TRAIN_OPTIONS}
    given = {k: v for k, v in given.items() if v not in (None, [])}
    given["progress"] = _show_progress(args)
    config, changes = _train_config(args)
    settings = resume_settings(args.out, config, given, changes) if args.resume else None
    state = None
    if settings is not None:
        config, options, state = settings
    else:
        if not given.get("data"):
            raise DrummerNetError("train needs DATA: folders or files to train on")
        if config is None:  # the --init model's, else the objective's preset
            config = (read_weights(args.init)[0] if args.init
                      else config_from(new_run_config(args.objective))[0])  # fmt: skip
        config = config.replace(**changes)
        options = TrainOptions(out_dir=args.out, **given)
    summary = train(config, options, resume=args.resume, state=state)
    code = 130 if summary["stopped"] == "interrupted" else 1 if summary["skipped"] else 0
    if not summary["lead"]:  # under torchrun, rank 0 alone reports (also by its status)
        return 130 if code == 130 else 0
    for note in summary["kit_notes"]:
        print(f"note: kit {note}", file=sys.stderr)
    _report_skipped(summary["skipped"])
    best = summary["best_f1"]
    print(
        f"{summary['stopped']} at step {summary['step']} ({summary['items']} items); "
        f"best validation F1 {best if best is not None else 'not measured'}; "
        f"models in {summary['out_dir']} (best.pt, last.pt)"
    )
    return code


def _add_warm_start_arguments(p: argparse.ArgumentParser) -> None:
    """``train``'s options of ``--objective inverse`` and ``mixed`` (the MIDI, how it is
    voiced, what is mixed in, and the mixed objective's unlabeled audio)."""
    from drummernet.training.options import TrainOptions

    p.add_argument(
        "--split",
        choices=GMD_SPLITS,
        help="with --objective inverse: the Groove MIDI Dataset split to use",
    )
    p.add_argument(
        "--voicing",
        nargs=2,
        type=float,
        metavar=("SEMITONES", "DB_PER_OCTAVE"),
        help="with --objective inverse: re-tune each component's one-shots by up to "
        "SEMITONES (metal a third of it) and tilt their EQ by up to DB_PER_OCTAVE, per item "
        "(default: 0 0, none)",
    )
    p.add_argument(
        "--voicing-families",
        nargs="+",
        choices=tuple(ALL_CLASSES),
        metavar="FAMILY",
        help=f"with --voicing: re-voice only these families ({', '.join(ALL_CLASSES)}; "
        "default: every component)",
    )
    p.add_argument(
        "--crashes",
        type=float,
        metavar="P",
        help="with --objective inverse: an item's crash doubles one of its kicks (drawn "
        "among those inside the item) with probability P (default: the first kick of the "
        "stretch, preroll included, 0.2 of items)",
    )
    p.add_argument(
        "--reverb",
        choices=REVERB_MODELS,
        help="with --objective inverse: the rooms items are played in: 'noise' (default), "
        "exponentially decaying noise; 'room', shoebox rooms by the image-source method "
        "(pyroomacoustics: sizes, wall absorption for the drawn RT60, a close or an "
        "overhead microphone)",
    )
    p.add_argument(
        "--band",
        metavar="DIR",
        help="with --objective inverse: mix a band (clips of `drummernet band render`) into "
        "a share of the items, so that the network learns what is not a drum",
    )
    p.add_argument(
        "--band-share",
        type=float,
        metavar="P",
        help="with --band: the share of items mixed with a band (default: 0.8)",
    )
    p.add_argument(
        "--band-db",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        help="with --band: the band's RMS over the drums', drawn per item (default: -12 12 dB)",
    )
    p.add_argument(
        "--unlabeled",
        action="append",
        metavar="DIR",
        help="with --objective mixed: folders or files of unlabeled drum audio (your "
        "recordings, other kits) that the paper's loss explains (repeatable)",
    )
    p.add_argument(
        "--reconstruction-weight",
        type=float,
        metavar="W",
        help="with --objective mixed: the paper's loss's weight beside the warm start's "
        f"(default: {TrainOptions.reconstruction_weight})",
    )


def _add_train(sub: argparse._SubParsersAction) -> None:
    """The ``train`` command's arguments."""
    from drummernet.training.options import TrainOptions as d  # the defaults shown

    p = sub.add_parser(
        "train",
        help="train a model without labels on folders of drum audio",
        description="Train a model. With --resume, an option left out keeps the run's own "
        "value; given again it must agree, except those of its length and machine "
        "(--steps, --max-minutes, --checkpoint-every, --keep, --validate-every, --device, "
        "--workers, --cache-dir, -q) and DATA and --unlabeled (where the data are now).",
    )
    p.add_argument(
        "data",
        nargs="*",
        help="folders or files of unlabeled drum audio (drum MIDI with --objective inverse "
        "or mixed); "
        "with --resume: the run's own unless given",
    )
    p.add_argument("--out", required=True, help="run folder (checkpoints, logs, models)")
    p.add_argument(
        "--config",
        help="preset, config JSON or model file (default: the --init model's; else inverse "
        "with --objective inverse, fast otherwise: the paper's model, 4.5x faster to train "
        "on a CPU; paper: exactly the paper)",
    )
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="change one field of the configuration (repeatable)")  # fmt: skip
    p.add_argument("--kit", action="append", dest="kits", metavar="KIT",
                   help="synthesizer kit, or a folder of kits (repeatable; default: the 7 "
                        "shipped FluidR3)")  # fmt: skip
    p.add_argument("--steps", type=int, help=f"total optimizer steps (default: {d.steps})")
    p.add_argument(
        "--batch-size",
        type=int,
        help="segments per step and per process (under torchrun the step holds "
        "batch-size x processes segments; default: the config's)",
    )
    p.add_argument("--checkpoint-every", type=int,
                   help=f"steps between checkpoints (default: {d.checkpoint_every})")  # fmt: skip
    p.add_argument("--keep", type=int,
                   help=f"checkpoints kept, the latest ones (default: {d.keep})")  # fmt: skip
    p.add_argument("--validation", help="labeled set for F1 during training (e.g. a render)")
    p.add_argument("--validate-every", type=int,
                   help=f"steps between validations (default: {d.validate_every})")  # fmt: skip
    p.add_argument("--validation-tracks", type=int,
                   help=f"tracks used to validate (default: {d.validation_tracks})")  # fmt: skip
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out with its own options")  # fmt: skip
    p.add_argument("--seed", type=int, help=f"seed of the items and kits (default: {d.seed})")
    p.add_argument("--device", help=f"auto, cpu, cuda, cuda:1 ... (default: {d.device})")
    p.add_argument("--workers", type=int,
                   help=f"data-loading processes (default: {d.workers})")  # fmt: skip
    p.add_argument("--cache-dir", help="decoded-audio cache (default: RUN/cache)")
    p.add_argument("--max-minutes", type=float,
                   help="stop (and save) after this wall time (default: none)")  # fmt: skip
    p.add_argument(
        "--init",
        metavar="MODEL",
        help="start a new run from the weights of this model file or checkpoint (fine-tune)",
    )
    p.add_argument(
        "--objective",
        choices=OBJECTIVES,
        help="reconstruction: the paper's loss on drum audio (default); inverse: the "
        "label-free warm start, DATA are drum MIDI rendered through the --kit kits "
        "with exact targets for every component; mixed: the warm start plus the "
        "paper's loss on --unlabeled audio, in one step",
    )
    _add_warm_start_arguments(p)
    p.add_argument(
        "--lr-schedule",
        choices=LR_SCHEDULES,
        help="cosine: the learning rate falls from the configuration's to 0 at --steps "
        f"(resuming with another --steps reshapes the rest of the curve; default: "
        f"{d.lr_schedule})",
    )
    p.add_argument(
        "--validation-classes",
        choices=["paper", "all"],
        help="all: validation also scores toms and cymbals (TT, CY, mean_all columns; "
        f"default: {d.validation_classes})",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)


def _add_peak_picking_options(p: argparse.ArgumentParser) -> None:
    """The peak-picking overrides of transcribe and evaluate (applied by
    :meth:`PeakPicking.with_overrides`)."""
    p.add_argument("--delta", type=float, help="peak-picking threshold for every class")
    p.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="CLASS=DELTA",
        help="threshold of one class, e.g. --threshold HH=0.3 (repeatable; the other "
        "classes keep the model's tuned thresholds)",
    )
    p.add_argument(
        "--strict-classes",
        action="store_true",
        help="each class from its own components only: drops what the model's tuning "
        "added (e.g. its pedal-hat slot in HH)",
    )
    p.add_argument("--wait-s", dest="wait_s", type=float, help="minimum gap between onsets (s)")
    p.add_argument("--floor", type=float, help="absolute activation below which a class is silent")


def build_parser() -> argparse.ArgumentParser:
    """The ``drummernet`` parser: each command's arguments are defined beside it."""
    from drummernet import __version__

    parser = argparse.ArgumentParser(
        prog="drummernet", description="Unsupervised drum transcription (DrummerNet)."
    )
    parser.add_argument("--version", action="version", version=f"drummernet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = (_add_presets, _add_config, _add_info, _add_selfcheck, _add_kits, _add_render,
                _add_band, _add_transcribe, _add_train, _add_evaluate, _add_adapt,
                _add_ablation)  # fmt: skip
    for add in commands:
        add(sub)
    return parser


def _show_warning(message: Warning | str, *args: object, **kwargs: object) -> None:
    """Warnings as one line each (``drummernet: warning: ...``), never a source line."""
    print(f"drummernet: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``drummernet`` console script."""
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return args.func(args)
        except DrummerNetError as exc:
            print(f"drummernet: error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("drummernet: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:  # the reader went away (e.g. | head): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141


if __name__ == "__main__":
    sys.exit(main())
