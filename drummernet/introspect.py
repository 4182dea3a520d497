"""What a preset or a model file is: its description (``drummernet info``) and a
round trip of a synthetic pattern through synthesizer, loss and network
(``drummernet selfcheck``)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drummernet.config import PRESETS, Config, get_preset
from drummernet.errors import ConfigError

if TYPE_CHECKING:
    from drummernet.model.network import AnalysisNetwork


def config_from(source: str | None) -> tuple[Config, AnalysisNetwork | None]:
    """A preset name, a JSON configuration file, a model file, the name of a model
    shipped in the package (``songs``), or None for the default model shipped in the
    package -> ``(config, model or None)``."""
    if source is not None and source in PRESETS:
        return get_preset(source), None
    if source is not None and Path(source).suffix == ".json":
        return Config.load(source), None
    from drummernet.transcription.api import SHIPPED_MODELS

    known = source is None or source in SHIPPED_MODELS or Path(source).exists()
    if known or Path(source).suffix in {".pt", ".pth"}:
        from drummernet.transcription.api import get_model

        model = get_model(source)
        return model.config, model
    raise ConfigError(f"{source!r} is neither a preset ({', '.join(PRESETS)}) nor a file")


def spectrum_description(config: Config) -> str:
    """The loss's spectrum in words, e.g. ``pseudo-CQT, 8 octaves x 12 bins ...``."""
    if config.spectrum == "cqt":
        lowest, highest = config.cqt_max_n_fft, config.cqt_max_n_fft >> (config.cqt_n_octaves - 1)
        text = (
            f"pseudo-CQT, {config.cqt_n_octaves} octaves x {config.cqt_bins_per_octave} bins "
            f"from {config.cqt_fmin:.2f} Hz, "
        )
        if config.cqt_decimate:
            return text + f"each octave decimated before one STFT of {highest}"
        return text + f"STFT {lowest}...{highest}"
    if config.spectrum == "mel":
        return f"mel, {config.mel_n_mels} bands, STFT {config.mel_n_fft}"
    return f"linear STFT {config.stft_n_fft}"


def _body_rows(config: Config, counts: dict[str, int], temporal: str) -> list[tuple[str, str]]:
    """The rows describing the network's body."""
    c = config
    if c.body == "lite":
        return [
            (
                "lite body",
                f"{counts['lite']:,} parameters: log-STFT {c.lite_short_fft} + "
                f"{c.lite_long_fft} (low {c.lite_long_bins} bins) at {c.frame_rate:g} Hz, "
                f"{len(c.lite_dilations)} dilated convs x {c.lite_channels}, bi-GRU "
                f"{c.lite_gru_units} at {c.frame_rate / c.lite_pool:g} Hz on "
                f"{c.lite_gru_window}-frame windows",
            )
        ]
    return [
        (
            "U-net",
            f"{counts['unet']:,} parameters, {c.unet_encoder_depth} down / "
            f"{c.unet_decoder_depth} up",
        ),
        ("temporal layers", f"{counts['temporal']:,} parameters ({temporal})"),
    ]


def describe(source: str | None = None) -> list[tuple[str, str]]:
    """``(label, value)`` rows describing a preset, configuration or model file
    (default: the shipped model)."""
    from drummernet.model.network import AnalysisNetwork

    config, model = config_from(source)
    model = model or AnalysisNetwork(config)
    counts = model.parameter_counts()
    temporal = config.temporal_model
    if temporal == "gru" and config.gru_window_frames:
        temporal += (
            f", on {config.gru_window_frames}-frame windows with "
            f"{config.gru_context_frames} frames of context"
        )
    rows = [
        ("source", str(source) if source is not None else "the shipped default model"),
        ("configuration", config.name),
        ("components", f"{config.n_components}: {' '.join(config.components)}"),
        *_body_rows(config, counts, temporal),
        (
            "activation",
            "sigmoid per component and frame"
            if config.activation == "sigmoid"
            else f"{config.activation} x {config.activation} over "
            f"{config.time_window_frames}-frame windows",
        ),
        ("frame rate", f"{config.frame_rate:g} Hz (x{config.upsample_factor} zero insertion)"),
        ("input padding", f"right, to a multiple of {config.pad_multiple} samples"),
        (
            "loss",
            f"{'HPSS + ' if config.onset_enhancement else ''}{spectrum_description(config)}, "
            f"hop {config.spectrum_hop_length}",
        ),
    ]
    return rows + metadata_rows(model.metadata)


def _scores_text(scores: dict) -> str:
    """``{"paper": {"KD": ..., "mean": ...}, "micro_mean": ...}`` in one line."""
    paper = scores.get("paper", {})
    text = " ".join(f"{k} {v:.3f}" for k, v in paper.items() if k != "mean")
    if "mean" in paper:
        text += f", mean {paper['mean']:.3f}"
    if "micro_mean" in scores:
        text += f" (micro {scores['micro_mean']:.3f})"
    return text


def kept_words(kept_step: int | None, blend: float) -> str:
    """What ``adapt`` saved: ``step N, saved B% of the way from the starting weights
    to it`` (its weights are a blend), or ``the starting weights``."""
    if not kept_step:
        return "the starting weights"
    return f"step {kept_step}, saved {blend:.0%} of the way from the starting weights to it"


def metadata_rows(metadata: dict) -> list[tuple[str, str]]:
    """``(label, value)`` rows of a model file's metadata, one fact a row; the
    accuracy of an adapted model's starting model is labelled as such."""
    meta = dict(metadata)
    rows: list[tuple[str, str]] = []
    adaptation = meta.pop("adaptation", None)
    if "trained_items" in meta:
        seconds = meta.pop("training_seconds", None)
        took = f", {seconds / 60:.0f} min" if seconds else ""
        on = f" on {meta.pop('hardware')}" if meta.get("hardware") else ""
        rows.append(("trained", f"{meta.pop('trained_items'):,} items, "
                     f"{meta.pop('trained_steps', '?')} steps, objective "
                     f"{meta.pop('objective', 'reconstruction')}{took}{on}"))  # fmt: skip
    if meta.get("training_data"):
        rows.append(("training data", ", ".join(meta.pop("training_data"))))
    if meta.get("synth_kits"):
        kits = [Path(k).name for k in meta.pop("synth_kits")]
        rows.append(("synthesizer kits", f"{len(kits)}: {', '.join(kits)}"))
    band = meta.pop("band", None)
    if band:
        low, high = band.get("levels_db", ("?", "?"))
        fonts = ", ".join(band.get("soundfonts", [])) or "SoundFonts not recorded"
        rows.append(("band", f"{band.get('share', 0):.0%} of items under a band "
                     f"{low:+g} to {high:+g} dB over the drums: {band.get('clips', '?')} "
                     f"clips of {Path(band['folder']).name} ({fonts})"))  # fmt: skip
    scores = meta.pop("scores", None) or {}
    label = "F1 before adapting" if adaptation else "F1"
    for dataset, result in scores.items():
        rows.append((f"{label}", f"{dataset}: {_scores_text(result)}"))
    peaks = meta.pop("peak_picking", None)
    if peaks:
        deltas = " ".join(f"{k}={v:g}" for k, v in (peaks.get("deltas") or {}).items())
        rows.append(("peak picking", f"thresholds {deltas or peaks.get('delta')}, "
                     f"floor {peaks.get('floor')}, wait {peaks.get('wait_s')} s"))  # fmt: skip
    if adaptation:
        kept = adaptation.get("kept_step")
        blend = (adaptation.get("options") or {}).get("blend", 1.0)
        rows.append(("adapted", f"from {adaptation.get('base_model')} on "
                     f"{len(adaptation.get('adapted_on', []))} file(s), "
                     f"{adaptation.get('date', '')}; held-back loss "
                     f"{adaptation.get('held_loss_before')} -> "
                     f"{adaptation.get('held_loss_after')}"
                     + f"; kept {kept_words(kept, blend)}"))  # fmt: skip
        if adaptation.get("kit"):
            rows.append(("fitted kit", f"{adaptation['kit']}/ (beside the model file)"))
    for key, value in sorted(meta.items()):
        if value not in (None, "", [], {}):
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            rows.append((key.replace("_", " "), text))
    return rows


@dataclass(frozen=True)
class SelfCheck:
    """Losses of a synthetic pattern: against itself (0), shifted by 10 ms (> 0) and
    against the network's re-synthesis; the forward pass's time and output shape."""

    config_name: str
    network: str
    same: float
    shifted: float
    resynthesis: float
    forward_s: float
    output_shape: tuple[int, ...]
    passed: bool


def selfcheck(source: str | None = None, seconds: float = 2.0) -> SelfCheck:
    """Round trip a synthetic drum pattern (8th-note hats, kick and snare at 120 bpm)
    through synthesizer, loss and network."""
    import torch

    from drummernet.kits import synthetic_kit
    from drummernet.losses import OnsetSpectrumLoss
    from drummernet.model import AnalysisNetwork
    from drummernet.synth import Synthesizer, prepare_kernels

    config, model = config_from(source)
    torch.manual_seed(0)
    sr = config.sample_rate
    n = int(seconds * sr)
    kit = prepare_kernels(list(synthetic_kit(sr).values()), config)
    pattern = torch.zeros(1, config.n_components, n)
    beat = sr // 4  # 8th notes at 120 bpm
    step = config.upsample_factor
    for i, start in enumerate(range(0, n, beat)):
        start -= start % step
        pattern[0, 2, start] = 0.8  # closed hi-hat on every 8th
        pattern[0, 0 if i % 4 == 0 else 1, start] = 1.0 if i % 2 == 0 else 0.0  # kick / snare
    synth = Synthesizer(kit)
    loss_fn = OnsetSpectrumLoss(config)
    audio = synth(pattern)
    shift = int(0.010 * sr)
    with torch.no_grad():
        same = float(loss_fn(audio, audio))
        shifted = float(loss_fn(synth(torch.roll(pattern, shift, dims=-1)), audio))
        network = model or AnalysisNetwork(config).eval()
        start = time.perf_counter()
        activations = network(audio)
        elapsed = time.perf_counter() - start
        resynth = float(loss_fn(synth(activations), audio))
    return SelfCheck(
        config_name=config.name,
        network="given network" if model else "untrained network",
        same=same,
        shifted=shifted,
        resynthesis=resynth,
        forward_s=elapsed,
        output_shape=tuple(activations.shape),
        passed=same < 1e-4 < shifted and activations.shape[-1] == n,
    )
