"""One configuration object for every hyper-parameter, with named presets.

Every model, synthesizer and loss is built from a :class:`Config`; a saved
model stores its configuration, so a checkpoint can be rebuilt without
guessing. Presets:

``paper``
    The numbers of Choi & Cho (ISMIR 2019).
``reference-code``
    The defaults of the authors' published code where they differ from the
    paper (narrow first conv and GRUs, no bias, no onset enhancement, each
    octave's loss scaled by 4, peak-picking delta 0.25 and wait 62.5 ms).
``fast``
    The paper's model and loss made cheaper on a CPU (decimated CQT octaves,
    time GRUs on 256-frame windows).
``lite``
    The paper's loss with a light analysis network (``model/lite.py``): log-STFT
    front end at the frame rate, dilated convolutions, a GRU at 125 Hz.
``inverse``
    ``lite`` with a sigmoid per component and frame instead of the two sparse
    normalisations: the head of a network trained by ``--objective inverse``.
``crnn``
    ``inverse`` with the capacity of the field's supervised CRNNs: 2-D
    convolutions over a log-frequency spectrogram of its own at 125 Hz join the
    GRU's input, and a wider GRU runs on 1-second windows; the 1-kHz front end
    keeps only its short STFT (timing), which pays for them.
``soft``, ``mel``, ``stft``, ``noe``, ``conv``
    The ablations of the paper's Figure 8, each the ``paper`` preset with one
    switch changed: softmax instead of sparsemax, a mel or a linear STFT
    spectrogram instead of the pseudo-CQT, no onset enhancement, and
    convolutions instead of the recurrent layers.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drummernet.components import COMPONENTS
from drummernet.errors import ConfigError

#: Hz: the default rate of network input, synthesizer output, kits and rendered data.
SAMPLE_RATE = 16000
#: What a training run optimises (``train --objective``; see ``training/trainer.py``).
OBJECTIVES = ("reconstruction", "inverse", "mixed")
#: The objectives whose data are drum MIDI rendered through the synthesizer's kits.
SYNTHESIZED_OBJECTIVES = ("inverse", "mixed")
#: The rooms training items get reverb in (``train --reverb``; ``datasets/augment.py``).
REVERB_MODELS = ("noise", "room")
#: Learning-rate schedules of training (``training.step.learning_rate``).
LR_SCHEDULES = ("constant", "cosine")
#: Taps of the ``lite`` body's decimation low-pass (its receptive field counts them).
LITE_LOWPASS_TAPS = 63

_CHOICES: dict[str, tuple[str, ...]] = {
    "body": ("unet", "lite"),
    "temporal_model": ("gru", "conv"),
    "activation": ("sparsemax", "softmax", "sigmoid"),
    "spectrum": ("cqt", "mel", "stft"),
}


@dataclass(frozen=True)
class Config:
    """Every hyper-parameter of DrummerNet. Units are given in each comment."""

    name: str = "paper"

    # --- audio -----------------------------------------------------------
    sample_rate: int = SAMPLE_RATE  # Hz, of network input and synthesizer output
    components: tuple[str, ...] = field(default=COMPONENTS)

    # --- analysis network: which body turns audio into frame scores -------
    body: str = "unet"  # "unet": the paper's U-net + temporal layers; "lite": see model/lite.py

    # --- analysis network: 1-D U-net on the waveform ---------------------
    unet_first_channels: int = 128  # channels of the first (full-rate) conv
    unet_channels: int = 50  # channels of every other conv
    unet_encoder_depth: int = 10  # conv + max-pool(2) stages
    unet_decoder_depth: int = 6  # conv + x2 linear interpolation stages
    unet_kernel_size: int = 3  # samples (odd)
    unet_bias: bool = True

    # --- analysis network: temporal layers --------------------------------
    temporal_model: str = "gru"  # "gru", or "conv" (CONV ablation)
    gru_bidirectional_units: int = 100  # per direction
    gru_unidirectional_units: int = 50
    component_gru_units: int = 1  # hidden units of the GRU along the component axis
    gru_window_frames: int = 0  # time GRUs run on windows of this many frames (0: whole input)
    gru_context_frames: int = 0  # ... each with this many neighbouring frames on both sides

    # --- analysis network: the lite body (body="lite") ---------------------
    lite_short_fft: int = 256  # samples, STFT window for timing
    lite_long_fft: int = 1024  # samples, STFT window for low-frequency detail
    lite_long_bins: int = 96  # lowest bins of the long STFT kept (96: up to 1.5 kHz; 0: none)
    lite_channels: int = 64  # width of the frame-rate layers
    lite_dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32)  # frames, one conv each
    lite_pool: int = 8  # frames averaged for the context GRU (125 Hz)
    lite_gru_units: int = 48  # per direction
    lite_gru_window: int = 32  # pooled frames per GRU window
    lite_gru_context: int = 8  # pooled frames of context on each side of a window
    # 2-D convolutions over a log-frequency spectrogram at the GRU's rate (``crnn``):
    # the channels of each block (two 3x3 convolutions, then the bands halved); () = none
    lite_context_conv: tuple[int, ...] = ()
    lite_context_bands: int = 48  # log-spaced bands, 40 Hz to 8 kHz, of that spectrogram
    lite_context_features: int = 64  # its features per pooled frame, beside the GRU's input
    lite_context_fft: int = 0  # samples: its own STFT at the GRU's rate (0: pool the front end)

    # --- analysis network: sparsity and upsampling ------------------------
    activation: str = "sparsemax"  # "sparsemax", "softmax" (SOFT ablation), or "sigmoid"
    time_window_frames: int = 64  # frames per window of the time-axis sparsemax

    # --- synthesizer -------------------------------------------------------
    kernel_seconds: float = 1.0  # length of each one-shot kernel, s
    kernel_norm: float = 10.0  # L2 norm each kernel is scaled to

    # --- loss: onset spectrum similarity ----------------------------------
    onset_enhancement: bool = True  # HPSS before the spectrum (off: NOE ablation)
    hpss_n_fft: int = 1024  # samples
    hpss_hop_length: int = 256  # samples
    hpss_kernel_size: int = 31  # median filter length, frames and bins
    hpss_mask_power: float = 2.0  # exponent of the soft mask
    spectrum: str = "cqt"  # "cqt", "mel" (MEL ablation) or "stft" (STFT ablation)
    spectrum_hop_length: int = 64  # samples
    cqt_fmin: float = 32.703195662574764  # Hz, C1
    cqt_n_octaves: int = 8
    cqt_bins_per_octave: int = 12
    cqt_max_n_fft: int = 16384  # STFT size of the lowest octave; halved per octave
    cqt_decimate: bool = False  # decimate each octave before its STFT (same bins, cheaper)
    mel_n_fft: int = 2048  # samples
    mel_n_mels: int = 128
    stft_n_fft: int = 1024  # samples
    log_eps: float = 1e-5  # log10(S + eps) - log10(eps)
    band_weight: float = 1.0  # each band's mean |difference| is scaled by this
    loss_margin_samples: int = 0  # samples ignored at each end of a segment

    # --- training ----------------------------------------------------------
    learning_rate: float = 4e-4
    batch_size: int = 16
    segment_seconds: float = 2.0

    # --- peak picking (Böck et al. 2012) ----------------------------------
    peak_max_window_s: float = 0.05  # a peak is the max within +- this
    peak_mean_window_s: float = 0.1  # ... and exceeds the mean within +- this
    peak_delta: float = 0.2  # ... by this much (activation normalised to max 1)
    peak_wait_s: float = 0.05  # minimum time between two peaks

    def __post_init__(self) -> None:
        object.__setattr__(self, "components", tuple(self.components))
        object.__setattr__(self, "lite_dilations", tuple(self.lite_dilations))
        object.__setattr__(self, "lite_context_conv", tuple(self.lite_context_conv))
        self.validate()

    # ------------------------------------------------------------------ derived
    @property
    def n_components(self) -> int:
        """Number of drum components K (output channels)."""
        return len(self.components)

    @property
    def upsample_factor(self) -> int:
        """Samples per network frame: 2 ** (encoder depth - decoder depth)."""
        return 2 ** (self.unet_encoder_depth - self.unet_decoder_depth)

    @property
    def frame_rate(self) -> float:
        """Network frames per second before upsampling (1 kHz for the paper)."""
        return self.sample_rate / self.upsample_factor

    @property
    def pad_multiple(self) -> int:
        """Input lengths are zero-padded on the right to a multiple of this (samples)."""
        multiples = [2**self.unet_encoder_depth, self.upsample_factor * self.time_window_frames]
        if self.body == "lite":
            multiples.append(self.upsample_factor * self.lite_pool * self.lite_gru_window)
        elif self.temporal_model == "gru" and self.gru_window_frames:
            # the GRU windows then sit on one grid in every chunk of a long file
            multiples.append(self.upsample_factor * self.gru_window_frames)
        return math.lcm(*multiples)

    @property
    def receptive_field_samples(self) -> int | None:
        """Samples of input on either side that can change a frame's output (for
        the ``lite`` body), or None when unbounded (the paper's GRUs see the whole
        input). Chunks run with this much context equal the whole-file output."""
        if self.body != "lite":
            return None
        # Chunks start and end on the GRU windows' grid (pad_multiple), so a chunk's
        # windows reach past its ends by their own context only, which in turn sees
        # the dilated convolutions' span and the STFTs' half windows (and low-pass).
        hop = self.upsample_factor
        decimation = self.lite_long_fft // self.lite_short_fft
        stft = self.lite_long_fft // 2 + (LITE_LOWPASS_TAPS // 2 + 1) * decimation
        # the 2-D blocks reach one pooled frame per convolution (two per block)
        pooled = self.lite_gru_context + 2 * len(self.lite_context_conv)
        frames = pooled * self.lite_pool + sum(self.lite_dilations)
        return frames * hop + stft + self.lite_context_fft // 2

    @property
    def kernel_samples(self) -> int:
        """Length of each synthesizer kernel in samples."""
        return round(self.kernel_seconds * self.sample_rate)

    # ------------------------------------------------------------------ checks
    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first invalid value."""
        for key, allowed in _CHOICES.items():
            value = getattr(self, key)
            if value not in allowed:
                raise ConfigError(f"{key} must be one of {', '.join(allowed)}; got {value!r}")
        positive_ints = (
            "sample_rate unet_first_channels unet_channels unet_encoder_depth unet_kernel_size "
            "gru_bidirectional_units gru_unidirectional_units component_gru_units "
            "time_window_frames hpss_n_fft hpss_hop_length hpss_kernel_size spectrum_hop_length "
            "cqt_n_octaves cqt_bins_per_octave cqt_max_n_fft mel_n_fft mel_n_mels stft_n_fft "
            "batch_size lite_short_fft lite_long_fft lite_channels lite_pool "
            "lite_gru_units lite_gru_window lite_context_bands lite_context_features"
        ).split()
        for key in positive_ints:
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"{key} must be a positive integer; got {value!r}")
        if not 0 <= self.unet_decoder_depth <= self.unet_encoder_depth:
            raise ConfigError(
                "unet_decoder_depth must be between 0 and unet_encoder_depth "
                f"({self.unet_encoder_depth}); got {self.unet_decoder_depth}"
            )
        if self.unet_kernel_size % 2 == 0 or self.hpss_kernel_size % 2 == 0:
            raise ConfigError("unet_kernel_size and hpss_kernel_size must be odd")
        if len(self.components) == 0 or len(set(self.components)) != len(self.components):
            raise ConfigError("components must be a non-empty list of distinct names")
        if self.cqt_max_n_fft >> (self.cqt_n_octaves - 1) < 2 * self.cqt_bins_per_octave:
            raise ConfigError("cqt_max_n_fft is too small for the number of octaves")
        top = self.cqt_fmin * 2**self.cqt_n_octaves * 2 ** (-1 / self.cqt_bins_per_octave)
        if top >= self.sample_rate / 2:
            raise ConfigError(
                f"the pseudo-CQT's top bin ({top:.0f} Hz) must lie below the Nyquist frequency"
            )
        positive_floats = (
            "kernel_seconds kernel_norm hpss_mask_power cqt_fmin log_eps band_weight "
            "learning_rate segment_seconds peak_max_window_s peak_mean_window_s peak_wait_s"
        ).split()
        for key in positive_floats:
            if not float(getattr(self, key)) > 0:
                raise ConfigError(f"{key} must be positive; got {getattr(self, key)!r}")
        factor, remainder = divmod(self.lite_long_fft, self.lite_short_fft)
        if remainder or factor < 1 or self.upsample_factor % factor:
            raise ConfigError(
                "lite_long_fft must be lite_short_fft times a divisor of the frame hop "
                f"({self.upsample_factor} samples); got {self.lite_long_fft}"
            )
        if self.lite_long_bins > self.lite_short_fft // 2 + 1:  # the long STFT is decimated
            raise ConfigError("lite_long_bins must be at most lite_short_fft // 2 + 1")
        if not all(isinstance(d, int) and d > 0 for d in self.lite_dilations):
            raise ConfigError(
                f"lite_dilations must be positive integers; got {self.lite_dilations}"
            )
        if not all(isinstance(c, int) and c > 0 for c in self.lite_context_conv):
            raise ConfigError(
                f"lite_context_conv must be positive integers; got {self.lite_context_conv}"
            )
        if self.lite_context_bands % 2 ** len(self.lite_context_conv):
            raise ConfigError(
                "lite_context_bands must be divisible by 2 ** len(lite_context_conv) "
                f"({2 ** len(self.lite_context_conv)}); got {self.lite_context_bands}"
            )
        for key in ("gru_window_frames", "gru_context_frames", "lite_gru_context",
                    "lite_long_bins", "lite_context_fft"):  # fmt: skip
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"{key} must be an integer >= 0; got {value!r}")
        if self.loss_margin_samples < 0:
            raise ConfigError("loss_margin_samples must be >= 0")

    # ------------------------------------------------------------- conversion
    def replace(self, **changes: Any) -> Config:
        """Return a copy with some fields changed (validated)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"unknown configuration key(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dictionary of every field."""
        data = dataclasses.asdict(self)
        data["components"] = list(self.components)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Config:
        """Rebuild a configuration; unknown keys are an error, missing keys take defaults."""
        if not isinstance(data, dict):
            raise ConfigError("a configuration must be a mapping of field names to values")
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise ConfigError(f"unknown configuration key(s): {', '.join(sorted(unknown))}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ConfigError(f"invalid configuration: {exc}") from None

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def load(cls, path: str | Path) -> Config:
        """Read a configuration from a JSON file."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read configuration: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON (line {exc.lineno}): {exc.msg}") from None
        return cls.from_dict(data)


_PAPER = Config()

PRESETS: dict[str, Config] = {
    "paper": _PAPER,
    "reference-code": _PAPER.replace(
        name="reference-code",
        unet_first_channels=50,
        unet_bias=False,
        gru_bidirectional_units=11,
        gru_unidirectional_units=11,
        onset_enhancement=False,
        band_weight=4.0,
        loss_margin_samples=4080,
        peak_delta=0.25,
        peak_wait_s=0.0625,
    ),
    "soft": _PAPER.replace(name="soft", activation="softmax"),
    "mel": _PAPER.replace(name="mel", spectrum="mel"),
    "stft": _PAPER.replace(name="stft", spectrum="stft"),
    "noe": _PAPER.replace(name="noe", onset_enhancement=False),
    "conv": _PAPER.replace(name="conv", temporal_model="conv"),
    "fast": _PAPER.replace(
        name="fast", cqt_decimate=True, gru_window_frames=256, gru_context_frames=32
    ),
    "lite": _PAPER.replace(name="lite", body="lite", cqt_decimate=True),
    "inverse": _PAPER.replace(name="inverse", body="lite", cqt_decimate=True, activation="sigmoid"),
    "crnn": _PAPER.replace(
        name="crnn",
        body="lite",
        cqt_decimate=True,
        activation="sigmoid",
        lite_long_bins=0,
        lite_context_conv=(16, 32),
        lite_context_fft=1024,
        lite_gru_units=64,
        lite_gru_window=128,
        lite_gru_context=32,
    ),
}

PRESET_DESCRIPTIONS: dict[str, str] = {
    "paper": "the numbers of Choi & Cho, ISMIR 2019",
    "reference-code": "the authors' code defaults where they differ from the paper",
    "fast": (
        "the paper's model and loss; each CQT octave decimated before its STFT and the "
        "time GRUs run on 256-frame windows with 32 frames of context (CPU)"
    ),
    "lite": (
        "the paper's loss with a light network for CPUs: log-STFT front end at 1 kHz, "
        "dilated convolutions, a bi-GRU at 125 Hz for context (model/lite.py)"
    ),
    "inverse": (
        "the lite network with one sigmoid per component and frame, trained by inverting "
        "the synthesizer (train --objective inverse)"
    ),
    "crnn": (
        "inverse with more capacity: 2-D convolutions over a log-frequency spectrogram at "
        "125 Hz feed a wider bi-GRU on 1-second windows; the 1-kHz front end keeps only "
        "its short STFT (model/lite.py)"
    ),
    "soft": "ablation SOFT: softmax instead of sparsemax",
    "mel": "ablation MEL: mel spectrogram instead of pseudo-CQT",
    "stft": "ablation STFT: linear STFT instead of pseudo-CQT",
    "noe": "ablation NOE: no onset enhancement (no HPSS)",
    "conv": "ablation CONV: convolutions instead of GRUs",
}


def get_preset(name: str) -> Config:
    """Return the preset configuration called ``name``."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
