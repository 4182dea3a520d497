"""Adapting a trained model to a user's own recordings and drum kit, without labels.

One round, on the first part of every file (the last ``holdout`` fraction is held back):

1. the model transcribes the recordings (every component);
2. the kit is fitted to them (:func:`drummernet.kits.fitting.fit_kits`): per
   component, a one-shot of the starting kits, equalised (level and a few bands,
   bounded) to sound like that component in the recordings; and beside that best
   fit, ``fitted_kits - 1`` more kits made alike from the next-closest one-shots,
   and (``heard_kit``) one of the sounds as heard, the fit's templates made audible
   (:func:`~drummernet.kits.fitting.heard_one_shot`);
3. the network learns the fitted kits: drum rhythms shipped with the package
   (:data:`~drummernet.datasets.synthesized.RHYTHMS`) are played, each component
   of each item through one of the fitted kits drawn at random, and it is trained
   to find their hits (the warm start's objective,
   :func:`~drummernet.training.step.inverse_loss`: exact targets, since the audio
   is made from them). On validation (``bench/adapt_variants.py``), learning the
   true kit alone gained more than twice what the true kit gained drawn among the
   starting kits, the three closest fits did as well as the best fit alone on
   average with a smaller worst loss, and the heard kit beside them added more
   (the fitted one-shots' shapes were what kept them from the true kit's gain);
   ``with_starting_kits`` plays the starting kits too (the previous default). The
   rhythms the model transcribed from the recordings were measured as a source
   too, and did worse (they carry its own mistakes).

With ``fit_kit=False`` step 2 is skipped: the rhythms are played through the
user's own kit (``kit_folder``) as it is, else through the starting kits (the
network alone adapts).

The held-back part of every file is measured before adapting and every
``eval_every`` steps: its re-synthesis loss through the fitted kit (the paper's
loss: the network's hits through the kit against the audio). By default adaptation
runs its ``steps`` and keeps the last weights, the loss only reported: measured on
validation, it moved by less than its own noise while F1 rose by 0.1, and stopping
on it (``patience`` > 0: keep the weights of the lowest loss, stop when it has not
improved for ``patience`` measurements) stopped early and lost the gain.

The weights saved lie halfway between the starting and the adapted ones
(``blend``): fine-tuning moved some classes of some kits a long way down (a
snare heard as a tom), and on validation the halfway weights kept most of the
gains and halved those losses.

The fitted kit is saved beside the model (``<model>.kit/``, with a picture of
each component's spectrum before and after), and the model remembers it.
"""

from __future__ import annotations

import copy
import datetime
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from drummernet.audio import AudioError, load_audio
from drummernet.datasets.synthesized import NO_VOICING, RHYTHMS, SynthesizedSegments
from drummernet.errors import DrummerNetError, KitError
from drummernet.fileio import write_text
from drummernet.kits.builders import build_from_folder, write_kit
from drummernet.kits.fitting import FittedComponent, fit_kits
from drummernet.kits.library import MANIFEST, Kit, get_kit, kit_one_shots
from drummernet.losses import OnsetSpectrumLoss
from drummernet.model.io import save_model
from drummernet.model.network import AnalysisNetwork
from drummernet.synth import Synthesizer, prepare_kernels
from drummernet.training.loop import run_steps
from drummernet.training.options import SYNTH_KITS
from drummernet.training.step import eval_loss, inverse_loss, mixed_loss, optimise

#: Peak of the loudest one-shot of a fitted kit (the others keep their relative levels).
KIT_PEAK = 0.9
#: The start of a fitted kit's ``source``, then the kits its one-shots come from.
FITTED_SOURCE = "fitted by drummernet adapt from "
#: Sub-folder of a fitted kit holding the next-closest fits (trained on, not played back).
ALTERNATIVES = "alternatives"


@dataclass
class AdaptOptions:
    """Bounds of an adaptation run (defaults: a few minutes for 10 minutes of audio
    on a laptop CPU)."""

    steps: int = 100
    batch_size: int = 8
    learning_rate: float = 1e-4
    holdout: float = 0.2
    eval_every: int = 25
    patience: int = 0  # 0: run every step, keep the last weights
    blend: float = 0.5  # the weights saved: start + blend * (adapted - start)
    held_segments: int = 16
    seed: int = 0
    fit_kit: bool = True
    fitted_kits: int = 3  # kits played: the closest candidate per component, the next ...
    heard_kit: bool = True  # and a kit of the sounds as heard (the fit's NMFD templates)
    with_starting_kits: bool = False  # also play the starting kits as they are
    reconstruction_weight: float = 0.0  # > 0: plus the paper's loss on the recordings
    progress: bool = True

    def __post_init__(self) -> None:
        if self.reconstruction_weight < 0:
            raise DrummerNetError("--reconstruction-weight must be 0 or more; got "
                                  f"{self.reconstruction_weight}")  # fmt: skip


def blend(start: dict, adapted: dict, weight: float) -> dict:
    """The state dict ``start + weight * (adapted - start)`` (floating-point entries;
    the others are taken from ``adapted``), by ``torch.lerp``: exactly ``start`` at
    weight 0 and exactly ``adapted`` at 1."""
    return {k: torch.lerp(start[k], v, weight) if v.is_floating_point() else v
            for k, v in adapted.items()}  # fmt: skip


def kit_folder_of(model_path: str | Path) -> Path:
    """Where the kit fitted with an adapted model is kept: ``song.pt`` -> ``song.kit``."""
    return Path(model_path).with_suffix(".kit")


def _user_kit(folder: str | Path, work: Path) -> Kit:
    """A kit folder with a manifest, or a plain folder of one-shots named by component."""
    folder = Path(folder)
    if (folder / MANIFEST).is_file():
        return get_kit(folder)
    return build_from_folder(folder, work / "user-kit", folder.name)


def starting_kits(
    model: AnalysisNetwork, user_kit: Kit | None = None
) -> tuple[list[Kit], list[str]]:
    """The kits a fitted one-shot may start from: the user's kit first, then the
    kits the model was trained with that this machine has (by folder, else by
    name on the kit search path); and a note on those it lacks."""
    kits, missing = ([user_kit] if user_kit else []), []
    for name in model.metadata.get("synth_kits") or SYNTH_KITS:
        try:
            kits.append(get_kit(name))
        except KitError:
            try:
                kits.append(get_kit(Path(name).name))
            except KitError:
                missing.append(Path(name).name)
    if not kits:
        raise DrummerNetError("no starting kit found (build some with `drummernet kits build`)")
    notes = [f"{len(missing)} of the model's training kits are not on this machine "
             f"({', '.join(missing)}): starting from the other {len(kits)} "
             "(`drummernet kits build system` builds them)"] if missing else []  # fmt: skip
    return kits, notes


def _segments(arrays: Sequence[np.ndarray], n: int, length: int, rng: np.random.Generator):
    """``n`` peak-normalised segments drawn from ``arrays`` (weighted by length)."""
    weights = np.array([len(a) - length + 1 for a in arrays], dtype=float)
    out = []
    for _ in range(n):
        a = arrays[rng.choice(len(arrays), p=weights / weights.sum())]
        start = int(rng.integers(0, len(a) - length + 1))
        seg = a[start : start + length]
        out.append(seg / max(float(np.max(np.abs(seg))), 1e-4))
    return torch.from_numpy(np.stack(out).astype(np.float32))


def _split_files(
    paths: Sequence[str | Path], sample_rate: int, length: int, holdout: float
) -> tuple[list[np.ndarray], list[np.ndarray], list[str], list[str]]:
    """Decode ``paths``; each usable file's first part for adapting and its last
    ``holdout`` fraction held back: ``(train parts, held parts, used, skipped)``.
    Raises :class:`DrummerNetError` when no file is usable."""
    train_parts, held_parts, used, skipped = [], [], [], []
    for path in paths:
        try:
            y = load_audio(path, sample_rate)
        except AudioError as exc:
            skipped.append(str(exc))
            continue
        cut = int(len(y) * (1 - holdout))
        if cut < length or len(y) - cut < length or np.max(np.abs(y)) < 1e-4:
            skipped.append(f"{path}: too short or silent to adapt on")
            continue
        train_parts.append(y[:cut])
        held_parts.append(y[cut:])
        used.append(str(path))
    if not used:
        raise DrummerNetError(
            "no usable audio to adapt on" + (f" ({skipped[0]})" if skipped else "")
        )
    return train_parts, held_parts, used, skipped


def transcribed_onsets(
    model: AnalysisNetwork, parts: Sequence[np.ndarray]
) -> list[dict[str, np.ndarray]]:
    """What ``model`` hears in each part (mono, at its sample rate): ``{component:
    onset times (s)}`` per part."""
    from drummernet.transcription.api import transcribe

    out = []
    for audio in parts:
        result = transcribe(audio, sr=model.config.sample_rate, model=model,
                            classes="components", check_mix=False)  # fmt: skip
        out.append({c: result.onsets(c) for c in result.counts()})
    return out


def fit_and_save_kit(
    parts: Sequence[np.ndarray],
    onsets: Sequence[dict[str, np.ndarray]],
    candidates: Sequence[Kit],
    components: Sequence[str],
    folder: Path,
    user_first: bool = False,
    choices: int = 1,
    heard: bool = False,
) -> tuple[list[Kit], dict[str, FittedComponent]]:
    """Fit ``choices`` kits to ``parts`` (the onsets heard in them: ``onsets``) from
    ``candidates`` (``user_first``: the first is the user's kit, kept for what it
    has; ``heard``: and the kit of the heard templates,
    :func:`~drummernet.kits.fitting.fit_kits`). The best is written to ``folder``
    (replaced), with the picture of its spectra; the others, for training only, to
    ``folder/alternatives/`` (``NAME-2`` ..., ``NAME-heard``). Returns the kits, the
    best first, and how each component of the best was fitted."""
    from drummernet.kits.plots import plot_fitted_spectra

    kits = fit_kits(parts, onsets, candidates, components, keep_first=user_first,
                    choices=choices, heard=heard)  # fmt: skip
    _, fits = kits[0]
    loudest = max(float(np.max(np.abs(s))) for more, _ in kits for s in more.values())
    scale = KIT_PEAK / max(loudest, 1e-6)  # one scale: the kits keep their levels
    scaled = [{c: s * scale for c, s in more.items()} for more, _ in kits]
    names = [folder.stem] + [f"{folder.stem}-{i + 1}" for i in range(1, choices)]
    names += [f"{folder.stem}-heard"] if heard else []
    places = [Path()] + [Path(ALTERNATIVES) / name for name in names[1:]]  # within the kit
    work = folder.with_name(f".{folder.name}.tmp")  # written whole, then renamed
    shutil.rmtree(work, ignore_errors=True)
    try:
        for name, place, more, (_, more_fits) in zip(names, places, scaled, kits, strict=True):
            _write_fitted(work / place, name, more, more_fits, candidates)
        before = {c: scale * next(k for k in candidates if k.name == f.source).one_shot(c)
                  for c, f in fits.items()}  # fmt: skip
        plot_fitted_spectra(before, scaled[0], fits, work / "spectra.png")
        shutil.rmtree(folder, ignore_errors=True)
        work.rename(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return [get_kit(folder / place) for place in places], fits


def _write_fitted(
    folder: Path, name: str, shots: dict[str, np.ndarray], fits: dict[str, FittedComponent],
    candidates: Sequence[Kit],
) -> None:  # fmt: skip
    """Write fitted one-shots as the kit ``name`` in ``folder``, its sources and
    licences named."""
    used = sorted({f.source for f in fits.values()})
    licenses = sorted({k.license for k in candidates if k.name in used and k.license})
    write_kit(folder, name, {c: [(s, 1, 127)] for c, s in shots.items()},
              FITTED_SOURCE + ", ".join(used), "; ".join(licenses),
              "one-shots of: " + ", ".join(used))  # fmt: skip


def _is_fitted_kit(folder: Path) -> bool:
    try:
        return get_kit(folder).source.startswith(FITTED_SOURCE)
    except KitError:
        return False


def adapt(
    model: AnalysisNetwork,
    audio_paths: Sequence[str | Path],
    out_path: str | Path,
    kit_folder: str | Path | None = None,
    options: AdaptOptions | None = None,
    model_path: str = "",
    say: Callable[[str], None] = lambda line: None,
) -> dict:
    """Adapt a copy of ``model`` (and, by default, a kit) to ``audio_paths`` and save
    it to ``out_path`` (the fitted kit to :func:`kit_folder_of` it, a model card to
    ``out_path`` with ``.md``).

    Returns a summary: held-back losses before and after, steps run, files used,
    the fitted components, time. ``out_path`` must not be the file the model was
    loaded from. ``say`` receives one line per stage. A folder of one-shots given as
    ``kit_folder`` is built into a kit in a temporary folder, removed afterwards.
    """
    with tempfile.TemporaryDirectory(prefix="drummernet-user-kit-") as scratch:
        return _adapt(model, audio_paths, out_path, kit_folder, options, model_path, say,
                      Path(scratch))  # fmt: skip


def _adapt(
    model: AnalysisNetwork,
    audio_paths: Sequence[str | Path],
    out_path: str | Path,
    kit_folder: str | Path | None,
    options: AdaptOptions | None,
    model_path: str,
    say: Callable[[str], None],
    scratch: Path,
) -> dict:
    """:func:`adapt`, building a user's plain folder of one-shots in ``scratch``."""
    options = options or AdaptOptions()
    out_path = Path(out_path)
    if model_path and out_path.resolve() == Path(model_path).resolve():
        raise DrummerNetError(f"{out_path}: adapting never overwrites the input model")
    config = model.config
    length = round(config.segment_seconds * config.sample_rate)
    train_parts, held_parts, used, skipped = _split_files(
        audio_paths, config.sample_rate, length, options.holdout
    )
    kit_path = kit_folder_of(out_path)
    if options.fit_kit and kit_path.exists() and not _is_fitted_kit(kit_path):
        raise DrummerNetError(f"{kit_path}: exists and is not a kit adapt fitted; move it away")
    start = time.monotonic()
    user_kit = _user_kit(kit_folder, scratch) if kit_folder is not None else None
    candidates, notes = starting_kits(model, user_kit)
    say(f"transcribing {len(used)} file(s) with the starting model")
    onsets = transcribed_onsets(model, train_parts)
    if not any(len(times) for heard in onsets for times in heard.values()):
        raise DrummerNetError("the starting model hears no drum hit in the audio to adapt on")
    fits: dict[str, FittedComponent] = {}
    if options.fit_kit:
        say(f"fitting the kit to the recordings (starting from {len(candidates)} kit(s))")
        fitted, fits = fit_and_save_kit(train_parts, onsets, candidates, config.components,
                                        kit_path, user_first=user_kit is not None,
                                        choices=options.fitted_kits,
                                        heard=options.heard_kit)  # fmt: skip
        say("fitted " + ", ".join(f"{c} from {f.source} ({f.gain_db:+.1f} dB)"
                                  for c, f in fits.items() if f.eq_db)
            + f"; kit in {kit_path}")  # fmt: skip
        play_kits = fitted + (candidates if options.with_starting_kits else [])
        held_kit = fitted[0]
    else:  # the user's own kit as it is, else the starting kits
        alone = user_kit is not None and not options.with_starting_kits
        play_kits, held_kit = ([user_kit] if alone else candidates), user_kit or candidates[0]
    played = [k.name for k in play_kits]
    say(f"training the network on drum rhythms played through {len(played)} kit(s): "
        + ", ".join(played))  # fmt: skip
    held = _segments(held_parts, options.held_segments, length, np.random.default_rng(12345))
    shots, _ = kit_one_shots(held_kit, candidates, components=config.components)
    net, best_step, history, after = _train_network(model, play_kits, shots, held, options,
                                                    train_parts)  # fmt: skip
    summary = {
        "base_model": model_path or "default",
        "out": str(out_path),
        "adapted_on": used,
        "skipped": skipped,
        "kit_notes": notes,
        "user_kit": str(kit_folder) if kit_folder else None,
        "kit": kit_path.name if options.fit_kit else None,
        "fitted": {c: asdict(f) for c, f in fits.items()},
        "played_kits": played,
        "steps_run": history[-1]["step"],
        "kept_step": best_step,
        "held_loss_before": history[0]["held_loss"],
        "held_loss_after": round(after, 5),
        "history": history,
        "seconds": round(time.monotonic() - start, 1),
        "date": datetime.date.today().isoformat(),
        "options": {k: v for k, v in asdict(options).items() if k != "progress"},
    }
    net.metadata = {**model.metadata, "adaptation": summary}
    save_model(net, out_path, net.metadata)
    write_text(out_path.with_suffix(".md"), _card(summary, out_path))
    return summary


def _train_network(
    model: AnalysisNetwork,
    play_kits: Sequence[Kit],
    held_shots: Sequence[np.ndarray],
    held: torch.Tensor,
    options: AdaptOptions,
    recordings: Sequence[np.ndarray] = (),
) -> tuple[AnalysisNetwork, int, list[dict], float]:
    """Fine-tune a copy of ``model`` on :data:`RHYTHMS` played through ``play_kits``,
    measuring the re-synthesis loss of the ``held`` segments through ``held_shots``;
    ``(network with the blended weights, in eval mode, the step kept, history of
    held losses, held loss of the weights returned)``. With
    ``options.reconstruction_weight`` > 0 each step also explains a batch of
    stretches of the ``recordings`` through ``held_shots`` (the paper's loss,
    :func:`~drummernet.training.step.mixed_loss`)."""
    config = model.config
    data = SynthesizedSegments([RHYTHMS], play_kits, seconds=config.segment_seconds,
                               sample_rate=config.sample_rate, hop=config.upsample_factor,
                               seed=options.seed, components=config.components,
                               voicing=NO_VOICING)  # fmt: skip
    net = copy.deepcopy(model).train()
    synth = Synthesizer(prepare_kernels(list(held_shots), config))
    loss_fn = OnsetSpectrumLoss(config)
    optimizer = torch.optim.Adam(net.parameters(), lr=options.learning_rate)
    items = iter(range(2**62))

    weight = options.reconstruction_weight if recordings else 0.0
    rng = np.random.default_rng([options.seed, 1])
    length = held.shape[-1]

    def next_batch() -> tuple[torch.Tensor, ...]:
        drawn = [data[next(items)] for _ in range(options.batch_size)]
        batch = torch.stack([a for a, _ in drawn]), torch.stack([t for _, t in drawn])
        if weight:
            return (*batch, _segments(recordings, options.batch_size, length, rng))
        return batch

    def step(batch: tuple[torch.Tensor, ...]) -> float:
        if weight:
            loss = mixed_loss(net, synth, loss_fn, batch, weight=weight)  # type: ignore[arg-type]
        else:
            loss = inverse_loss(net, *batch)
        return optimise(optimizer, loss)

    _, best_state, best_step, history = _adapt_loop(
        net, next_batch, lambda: eval_loss(net, synth, loss_fn, held), step, options
    )
    net.load_state_dict(blend(model.state_dict(), best_state, options.blend))
    after = eval_loss(net, synth, loss_fn, held)  # of the weights saved
    return net.eval(), best_step, history, after


def adapt_per_file(
    model: AnalysisNetwork,
    audio_paths: Sequence[str | Path],
    out_dir: str | Path,
    kit_folder: str | Path | None = None,
    options: AdaptOptions | None = None,
    model_path: str = "",
    say: Callable[[str], None] = lambda line: None,
) -> dict[str, dict | str]:
    """One adapted model (and kit) per file, ``out_dir/<file stem>.pt``: ``{file:
    summary}``, or ``{file: error line}`` for a file that could not be adapted on
    (the others are still done)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict | str] = {}
    for path in audio_paths:
        say(f"{path}:")
        try:
            results[str(path)] = adapt(model, [path], out_dir / f"{Path(path).stem}.pt",
                                       kit_folder, options, model_path, say)  # fmt: skip
        except DrummerNetError as exc:
            results[str(path)] = f"{path}: {exc}"
    return results


def _adapt_loop(
    net: torch.nn.Module,
    next_batch: Callable[[], object],
    held_loss: Callable[[], float],
    step: Callable[[object], float],
    options: AdaptOptions,
) -> tuple[float, dict, int, list[dict]]:
    """``options.steps`` steps, the held-back loss measured before the first, every
    ``eval_every`` steps and after the last (the last entry of the history is the
    step run last): ``(kept weights' held loss, kept weights, their step (0: the
    starting weights), history of held losses)``.

    With ``patience`` 0 the last weights are kept; otherwise those of the lowest
    held-back loss, stopping when it has not improved for ``patience`` measurements.
    """
    from tqdm import tqdm

    before = best = held_loss()
    best_state, best_step, waited, taken = copy.deepcopy(net.state_dict()), 0, 0, 0
    history = [{"step": 0, "held_loss": round(before, 5)}]
    bar = tqdm(total=options.steps, unit="step", disable=not options.progress, desc="adapt")

    def after(loss: float) -> str | None:
        nonlocal best, best_state, best_step, waited, taken
        taken += 1
        bar.update(1)
        if taken % options.eval_every and taken != options.steps:
            return None
        current = held_loss()
        history.append({"step": taken, "held_loss": round(current, 5)})
        bar.set_postfix(held_loss=f"{current:.4f}", start=f"{before:.4f}")
        if not options.patience:
            return None
        if current < best:
            best, best_step, waited = current, taken, 0
            best_state = copy.deepcopy(net.state_dict())
            return None
        waited += 1
        return "patience" if waited >= options.patience else None

    run_steps((next_batch() for _ in range(options.steps)), step, after)
    bar.close()
    if not options.patience:
        return (
            history[-1]["held_loss"],
            copy.deepcopy(net.state_dict()),
            history[-1]["step"],
            history,
        )
    return best, best_state, best_step, history


def _card(summary: dict, out_path: Path) -> str:
    files = "\n".join(f"- `{f}`" for f in summary["adapted_on"])
    kept = f"step {summary['kept_step']}" if summary["kept_step"] else "the starting weights"
    if summary["kit"]:
        rows = "\n".join(
            f"| {c} | {f['source']} | {f['onsets']} | {f['gain_db']:+.1f} | "
            f"{' '.join(f'{x:+.0f}' for x in f['eq_db']) or '(kept as is)'} |"
            for c, f in summary["fitted"].items()
        )
        kit = (f"fitted to the recordings, in `{summary['kit']}/` (spectra before and after: "
               f"`{summary['kit']}/spectra.png`)\n\n| component | from | onsets heard | level dB "
               f"| band gains dB |\n|---|---|---|---|---|\n{rows}")  # fmt: skip
    else:
        kit = "not fitted (the network alone was adapted)"
    return f"""# Model card: {out_path.name}

Adapted without labels by `drummernet adapt` on {summary["date"]}, starting from
`{summary["base_model"]}`; its own card describes the base training.

- Steps run: {summary["steps_run"]} (kept {kept}), {summary["seconds"]} s
- Held-back loss (last part of every file, re-synthesised through the kit):
  {summary["held_loss_before"]} before, {summary["held_loss_after"]} after
- Kit: {kit}
- The network learned the rhythms played through: {", ".join(summary["played_kits"])}

Adapted on:

{files}
"""
