"""Experiment: which way of learning a kit helps adaptation (validation only).

The variants behind the design of ``drummernet adapt`` (issue 17), each on the
first 16 tracks longer than 20 s of one held-out kit of the GMD *validation*
render, their first 60 s: transcribe with the shipped model, fit a kit, fine-tune
the network for STEPS steps (batch 8, Adam 1e-4, the warm start's inverse
objective) on renders through the kits of the variant, score KD SD HH at 100 and
STEPS steps. Logs of the runs: ``bench/results/adapt-kit-2026-12-03/variants/``.

Variants: ``base`` (no adaptation), ``oracle`` (the true kit; ``oracle+syn``: the true
kit among the 15 training kits), ``fit`` (the fitted kit alone, fitted from the 15
training kits), ``fitpk`` (alone, fitted from the 7 packaged kits), ``fit+syn`` /
``fitpk+pk`` (the fitted kit among those it was fitted from; ``fit+synx5``: listed 5
times, a quarter of the draws), ``fit3+syn`` (as ``fit+syn``, but only KD, SD and the
closed hat keep their fitted one-shot), ``fittopN`` / ``fittopN+syn`` (the N best
candidates per component, each equalised, as N fitted kits, N < 10; ``fittopNtf``:
candidates ranked by their band-by-frame images, ``fit_kits(rank_by="time")``;
``fittopNgl``: + a kit of the heard templates inverted, ``fit_kits(heard=True)``; ``gl``:
that kit alone; ``fittopNgl^F``: the heard templates F frames long instead of
``TEMPLATE_FRAMES``; ``~S,T``: every kit re-voiced per item and component, re-tuned by up
to S semitones and tilted by up to T dB per octave, ``Voicing(S, T)``; ``%A``: each
component's level in an item drawn within +-A dB (default ``LEVEL_RANGE_DB``); ``&N``: N
of the 8 items of a batch are 2 s stretches of the recordings themselves, their targets the
onsets the starting model heard there (self-training); ``glp``, Griffin-Lim
from the fitted one-shots' phases, was removed after commit 2d6fc12, and ``!``, heard
templates made to decay only (``fit_kits(heard_decaying=True)``), after 21400c3),
``fitself`` / ``fitselfpk`` (rhythms: the model's own transcription of the recordings
instead of GMD train MIDI). Suffixes: ``@out`` (only the network's output layer is
fine-tuned), ``@2r`` (a second round: the kit re-fitted to what the first round's
network hears, the starting model fine-tuned on it), ``=CLASSES`` (diagnostic: in every
fitted kit, the components of these classes, e.g. ``=KD,HH``, take the true kit's
one-shot at the fitted one's RMS level, so that only their shape is perfect).

    OMP_WAIT_POLICY=PASSIVE python bench/adapt_variants.py audiophob fit+syn 200 [validation LR]
"""

from __future__ import annotations

import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from drummernet.audio import load_audio
from drummernet.datasets.annotations import load_rendered
from drummernet.datasets.midi import Hit
from drummernet.datasets.render import midi_files
from drummernet.datasets.synthesized import (
    LEVEL_RANGE_DB,
    NO_VOICING,
    Performance,
    SynthesizedSegments,
    Voicing,
    onset_targets,
)
from drummernet.evaluation.runner import evaluate_tracks, model_transcriber
from drummernet.kits.builders import write_kit
from drummernet.kits.fitting import fit_kits, spectral_distance
from drummernet.kits.library import get_kit
from drummernet.nmfd import TEMPLATE_FRAMES
from drummernet.training.step import inverse_loss, optimise
from drummernet.transcription.api import get_model, transcribe

K = "data/kits"
PACKAGED = [f"{K}/fluidr3-{k}" for k in "standard room power electronic tr808 jazz brush".split()]
TRAINING = PACKAGED + [f"{K}/hydrogen-{k}" for k in (
    "forzee-stereo-drumkit the-black-pearl-1-0 colomboacousticdrumkit millo-multilayered2 "
    "millo-multilayered3 varibreaks electricempirekit hardelectro1").split()]  # fmt: skip


def main(group: str, method: str, steps: int, split: str = "validation", lr: str = "1e-4") -> None:
    torch.set_num_threads(2)
    method, head_only = method.removesuffix("@out"), method.endswith("@out")
    method, _, true_classes = method.partition("=")
    method, _, own = method.partition("&")  # &N: N items a batch are the recordings
    method, _, spread = method.partition("%")  # %A: component levels within +-A dB
    method, _, voiced = method.partition("~")  # ~S,T: kits re-voiced per item (Voicing)
    method, _, frames = method.partition("^")  # ^F: heard templates F frames long
    root = Path(f"data/render/gmd-{split}")
    meta = {t["name"]: t for t in json.loads((root / "render.json").read_text())["tracks"]}
    mine = [t for t in load_rendered(root) if meta[t.name]["kit"] == f"hydrogen-{group}"]
    tracks = [t for t in mine if meta[t.name]["seconds"] > 20][:16]
    model = get_model(None)
    cfg = model.config

    def score(net) -> dict:
        paper = evaluate_tracks(model_transcriber(net), tracks, max_seconds=60)["paper"]
        return {k: round(paper[k], 3) for k in ("KD", "SD", "HH", "mean")}

    semitones, _, tilt = voiced.partition(",")
    voicing = Voicing(float(semitones), float(tilt)) if voiced else NO_VOICING
    levels = (-float(spread), float(spread)) if spread else LEVEL_RANGE_DB
    began = time.time()
    if method == "base":
        print("base", score(model))
        return
    audios = [load_audio(t.audio_path, cfg.sample_rate)[: 60 * cfg.sample_rate] for t in tracks]
    truth = get_kit(f"{K}/hydrogen-{group}")

    def hear(net) -> list:
        return [transcribe(audio, sr=cfg.sample_rate, model=net, classes="components",
                           check_mix=False) for audio in audios]  # fmt: skip

    def make_kits(heard: list, tag: str) -> list[str]:
        if method.startswith("oracle"):
            return [str(truth.path)] + (TRAINING if method == "oracle+syn" else [])
        pool = PACKAGED if "pk" in method.split("+")[0] else TRAINING
        candidates = [get_kit(k) for k in pool]
        onsets = [{c: r.onsets(c) for c in cfg.components} for r in heard]
        top = int(method[6]) if method.startswith("fittop") else 1  # fittopN: the N best
        rank_by = "time" if method.split("+")[0].endswith("tf") else "spectrum"
        with_heard = method.endswith("gl")  # + a kit of the heard templates, inverted
        fitted = fit_kits(audios, onsets, candidates, cfg.components, choices=top,
                          rank_by=rank_by, heard=with_heard,
                          heard_frames=int(frames or TEMPLATE_FRAMES))  # fmt: skip
        shots, fits = fitted[0]
        if with_heard:  # the heard kit first, as the logs' runs had it (``gl``: alone)
            fitted = [fitted[-1]] + (fitted[:-1] if method != "gl" else [])
            shots = fitted[0][0] if method == "gl" else shots
        if method.startswith("fit3"):  # only KD, SD and the closed hat keep their fit
            for c in set(shots) - {"KD_KD", "SD_SD", "HH_CHH"}:
                shots[c] = next(k for k in candidates if c in k.layers).one_shot(c)
        for c, f in fits.items():
            if c in truth.layers:
                d0 = spectral_distance(candidates[0].one_shot(c), truth.one_shot(c))
                d1 = spectral_distance(shots[c], truth.one_shot(c))
                print(c, f.source, f.onsets, f.gain_db, f.shape_error_db,
                      f"dist first->truth {d0:.2f} fitted->truth {d1:.2f}")  # fmt: skip
        peak = max(float(np.max(np.abs(s))) for s in shots.values())
        if method.endswith("gl"):  # the inverted templates' peaks too
            peak = max(peak, max(float(np.max(np.abs(s))) for s in fitted[0][0].values()))
        out = Path(f"/tmp/adapt-variants/kit-{group}-{tag}")
        folders = []  # the best fit, then the next best candidates
        for rank, (chosen, _) in enumerate(fitted):
            for c in [c for c in chosen if c.split("_")[0] in true_classes.split(",")]:
                if c in truth.layers:
                    shot = truth.one_shot(c)
                    rms = np.sqrt(np.mean(chosen[c] ** 2) / np.mean(shot**2))
                    chosen[c] = (shot * rms).astype(np.float32)
            folder = out.with_name(f"{out.name}-{rank}") if rank else out
            layers = {c: [(s * 0.9 / peak, 1, 127)] for c, s in chosen.items()}
            write_kit(folder, folder.name, layers, "fit", "n/a", "")
            folders.append(str(folder))
        share = 5 if method.endswith("x5") else 1  # x5: the fitted kit listed 5 times
        # the order the runs of the logs used: the next best, last first, then the best
        kits = folders[:0:-1] + [folders[0]] * share + (pool if "+" in method else [])
        print("fit s", round(time.time() - began, 1))
        return kits

    def recorded(heard: list, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """A stretch of a recording (peak 1) and, as its targets, the onsets the
        starting model heard there (self-training: its own mistakes included)."""
        length, hop = round(cfg.segment_seconds * cfg.sample_rate), cfg.upsample_factor
        i = int(rng.integers(len(audios)))
        start = int(rng.integers(0, len(audios[i]) - length))
        x = audios[i][start : start + length]
        t0 = start / cfg.sample_rate
        hits = [Hit(e.time - t0, e.component, e.velocity) for e in heard[i].events
                if t0 <= e.time < t0 + cfg.segment_seconds]  # fmt: skip
        target = onset_targets(hits, length // hop, cfg.sample_rate / hop, cfg.components)
        x = (x / (np.max(np.abs(x)) + 1e-9)).astype(np.float32)
        return torch.from_numpy(x), torch.from_numpy(target)

    def fine_tune(kits: list[str], heard: list) -> torch.nn.Module:
        if method.startswith("fitself"):
            hits = [tuple(Hit(e.time, e.component, e.velocity) for e in r.events) for r in heard]
            midi = [Performance(str(i), h, max(x.time for x in h)) for i, h in enumerate(hits)]
        else:
            midi = [str(p) for p, _ in midi_files(["../shared/data/groove-midi"], "train")[:120]]
        data = SynthesizedSegments(midi, kits, seconds=cfg.segment_seconds,
                                   sample_rate=cfg.sample_rate, hop=cfg.upsample_factor, seed=7,
                                   components=cfg.components, voicing=voicing,
                                   levels_db=levels)  # fmt: skip
        net = copy.deepcopy(model).train()
        trained = net.lite.output if head_only else net  # @out: the output layer alone
        optimizer = torch.optim.Adam(trained.parameters(), lr=float(lr))
        rng, recordings = np.random.default_rng(7), int(own or 0)
        for step in range(1, steps + 1):
            items = [data[(step - 1) * 8 + i] for i in range(8 - recordings)]
            items += [recorded(heard, rng) for _ in range(recordings)]
            audio, target = torch.stack([x[0] for x in items]), torch.stack([x[1] for x in items])
            optimise(optimizer, inverse_loss(net, audio, target))
            if step in (100, steps):
                net.eval()
                print(method, step, "steps", round(time.time() - began, 1), "s", score(net),
                      flush=True)  # fmt: skip
                net.train()
        return net

    # ...@2r: a second round, the kit re-fitted to what the first round's network
    # hears, the starting model fine-tuned again on it
    heard = hear(model)
    rounds = 2 if method.endswith("@2r") else 1
    method = method.removesuffix("@2r")
    for r in range(rounds):
        net = fine_tune(make_kits(heard, f"{method}-{r}"), heard)
        if r + 1 < rounds:
            heard = hear(net.eval())
    base = model.state_dict()  # the weights halfway between the start and the end
    net.load_state_dict({k: (v + base[k]) / 2 for k, v in net.state_dict().items()})
    print(method, steps, "steps, averaged with the start", score(net.eval()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:])
