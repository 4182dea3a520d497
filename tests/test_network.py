import pytest
import torch
import torch.nn.functional as F
from torch import nn

from drummernet.config import PRESETS, get_preset
from drummernet.losses import OnsetSpectrumLoss
from drummernet.model import AnalysisNetwork
from drummernet.model.temporal import ConvHead, RecurrentHead, run_in_windows
from drummernet.synth import Synthesizer


@pytest.mark.parametrize("preset", ["paper", "lite"])
@pytest.mark.parametrize("length", [1, 777, 1023, 1025, 5001])
def test_output_has_input_length_and_impulses_only_on_the_frame_grid(length, preset):
    model = AnalysisNetwork(get_preset(preset)).eval()
    with torch.no_grad():
        y = model(torch.randn(2, length) * 0.1)
    assert y.shape == (2, 11, length)
    off_grid = torch.ones(length, dtype=torch.bool)
    off_grid[::16] = False
    assert (y[..., off_grid] == 0).all()
    assert ((y >= 0) & (y <= 1)).all()
    assert (y.sum(dim=1) <= 1 + 1e-6).all()  # product of two simplex projections


def test_inverse_preset_gives_each_component_and_frame_its_own_probability():
    model = AnalysisNetwork(get_preset("inverse")).eval()
    audio = torch.randn(1, 5001) * 0.1
    with torch.no_grad():
        frames = model.frame_activations(audio)
        scores = model(audio, scores=True)
        impulses = model(audio)
    torch.testing.assert_close(frames, torch.sigmoid(scores)[..., : frames.shape[-1]])
    torch.testing.assert_close(impulses[..., ::16], frames)  # same zero insertion
    assert float(frames.sum(dim=1).max()) > 1  # no normalisation over components


def test_one_dimensional_input_gives_one_dimensional_batch():
    model = AnalysisNetwork(get_preset("reference-code")).eval()
    with torch.no_grad():
        assert model(torch.zeros(3000)).shape == (11, 3000)
    with pytest.raises(ValueError, match="shape"):
        model(torch.zeros(1, 1, 3000))


def test_logits_frame_count_follows_right_padding():
    model = AnalysisNetwork(get_preset("paper"))
    with torch.no_grad():
        assert model.logits(torch.zeros(1, 1025)).shape == (1, 11, 128)  # 2048 samples / 16
        assert model.logits(torch.zeros(1, 1024)).shape == (1, 11, 64)


def test_frame_t_becomes_an_onset_at_sample_16t(monkeypatch, paper_kit):
    """A logit spike at frame t of component k is an impulse at sample 16 t, and the
    synthesizer starts component k's one-shot exactly there."""
    model = AnalysisNetwork(get_preset("paper"))
    logits = torch.full((1, 11, 128), -10.0)
    logits[0, 3, 70] = 10.0  # component HH_OHH, frame 70
    monkeypatch.setattr(model, "logits", lambda audio: logits)
    y = model(torch.zeros(1, 2000))
    assert y.shape == (1, 11, 2000)
    assert torch.nonzero(y[0, 3, 1024:2000]).flatten().tolist() == [1120 - 1024]
    assert y[0, 3, 1120] == 1.0 and int(y[0].argmax()) == 3 * 2000 + 1120
    spike_only = torch.zeros_like(y)
    spike_only[0, 3, 1120] = y[0, 3, 1120]
    audio = Synthesizer(paper_kit)(spike_only)
    assert audio[0, :1120].abs().max() < 1e-5  # FFT round-off only
    torch.testing.assert_close(audio[0, 1120:], paper_kit[3, : 2000 - 1120], atol=1e-4, rtol=0)


@pytest.mark.parametrize("preset, zeros_expected", [("paper", True), ("soft", False)])
def test_activation_switch_changes_sparsity(monkeypatch, preset, zeros_expected):
    model = AnalysisNetwork(get_preset(preset))
    logits = torch.randn(1, 11, 64) * 3
    monkeypatch.setattr(model, "logits", lambda audio: logits)
    frames = model(torch.zeros(1, 1024))[..., ::16]
    assert bool((frames == 0).any()) is zeros_expected


def test_conv_switch_replaces_every_gru():
    paper, conv = AnalysisNetwork(get_preset("paper")), AnalysisNetwork(get_preset("conv"))
    assert isinstance(paper.temporal, RecurrentHead)
    assert isinstance(conv.temporal, ConvHead)
    assert not any(isinstance(m, nn.GRU) for m in conv.modules())
    assert sum(isinstance(m, nn.GRU) for m in paper.modules()) == 3


def test_paper_sizes():
    model = AnalysisNetwork(get_preset("paper"))
    assert model.unet.input_conv.out_channels == 128
    assert len(model.unet.encoder) == 10 and len(model.unet.decoder) == 6
    assert model.temporal.time_bidirectional.hidden_size == 100
    assert model.temporal.time_bidirectional.bidirectional
    assert model.temporal.time_unidirectional.hidden_size == 50


@pytest.mark.parametrize("preset", list(PRESETS))
def test_gradients_reach_every_trainable_parameter(preset, paper_kit):
    config = get_preset(preset)
    model = AnalysisNetwork(config)
    audio = Synthesizer(paper_kit)(torch.rand(1, 11, 4096) * (torch.rand(1, 11, 4096) > 0.995))
    audio = audio / audio.abs().max()
    loss = OnsetSpectrumLoss(config)(Synthesizer(paper_kit)(model(audio)), audio)
    loss.backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None, name
        assert torch.isfinite(parameter.grad).all(), name
        assert parameter.grad.abs().sum() > 0, name


def test_windowed_gru_equals_the_gru_run_on_each_window_with_its_context():
    torch.manual_seed(0)
    gru = nn.GRU(3, 4, batch_first=True)
    x = torch.randn(2, 50, 3)
    whole = gru(x)[0]
    torch.testing.assert_close(run_in_windows(gru, x, 0), whole)
    torch.testing.assert_close(run_in_windows(gru, x, 64), whole)  # one window holds it all
    windowed = run_in_windows(gru, x, 16, before=4, after=2)
    assert windowed.shape == (2, 50, 4)
    # frames 16..31: the GRU run on frames 12..33 from a zero state, context dropped
    torch.testing.assert_close(windowed[:, 16:32], gru(x[:, 12:34])[0][:, 4:20])
    # the first window's context before frame 0 is zeros
    torch.testing.assert_close(windowed[:, :16], gru(F.pad(x[:, :18], (0, 0, 4, 0)))[0][:, 4:20])
    # the last window (frames 48, 49) is padded with zeros after the end
    torch.testing.assert_close(windowed[:, 48:], gru(x[:, 44:])[0][:, 4:6])
    assert not torch.allclose(windowed, whole)


def test_fast_preset_windows_the_time_grus_only():
    fast, paper = get_preset("fast"), get_preset("paper")
    assert fast.gru_window_frames > 0 and paper.gru_window_frames == 0
    torch.manual_seed(0)
    a = AnalysisNetwork(paper)
    b = AnalysisNetwork(fast)
    b.load_state_dict(a.state_dict())  # same parameters: a paper model runs as fast and back
    x = torch.randn(1, 16000)
    assert a.logits(x).shape == b.logits(x).shape


def test_unet_matches_the_plain_elu_then_pool_formula():
    """The U-net applies the ELU after the pool where no skip needs it: same numbers."""
    torch.manual_seed(0)
    unet = AnalysisNetwork(get_preset("paper")).unet

    def plain(x):
        h = F.elu(unet.input_conv(x))
        skips = [h]
        for conv in unet.encoder:
            h = F.elu(conv(F.max_pool1d(h, 2)))
            skips.append(h)
        for step, conv in enumerate(unet.decoder):
            h = F.interpolate(F.elu(conv(h)), scale_factor=2, mode="linear", align_corners=False)
            h = torch.cat([h, skips[unet.encoder_depth - 1 - step]], dim=1)
        return h

    x = torch.randn(2, 1, 4096)
    ours, reference = unet(x), plain(x)
    torch.testing.assert_close(ours, reference)
    weights = torch.randn_like(ours)
    for g_ours, g_ref in zip(
        torch.autograd.grad(ours, list(unet.parameters()), weights),
        torch.autograd.grad(reference, list(unet.parameters()), weights),
        strict=True,
    ):
        torch.testing.assert_close(g_ours, g_ref, rtol=1e-4, atol=1e-5)


def test_lite_body_works_at_the_frame_rate_and_is_light():
    lite, fast = AnalysisNetwork(get_preset("lite")), AnalysisNetwork(get_preset("fast"))
    assert set(lite.parameter_counts()) == {"lite"}
    assert sum(lite.parameter_counts().values()) < 0.5 * sum(fast.parameter_counts().values())
    audio = torch.randn(1, 8192) * 0.1
    # frame f of the front end is centred on sample 16 f: an impulse there peaks there
    spike = torch.zeros(1, 1, 8192)
    spike[..., 16 * 200] = 1.0
    spectrum = lite.lite.spectrum(spike)
    assert spectrum.shape == (1, 129 + 96, 512)
    assert int(spectrum[0, :129].sum(dim=0).argmax()) == 200
    assert lite.logits(audio).shape == (1, 11, 512)


def test_lite_front_end_is_the_log_of_the_complex_magnitudes():
    body = AnalysisNetwork(get_preset("lite")).lite
    audio = torch.randn(2, 1, 8192) * 0.1
    short = torch.stft(audio[:, 0], 256, 16, window=torch.hann_window(256), center=True,
                       pad_mode="constant", return_complex=True)  # fmt: skip
    expected = torch.log1p(100.0 * torch.abs(short[..., :512]))
    assert torch.equal(body.spectrum(audio)[:, :129], expected)  # bit for bit


def test_log_bands_read_the_long_stft_low_and_the_short_one_high():
    from drummernet.model.lite import front_end_frequencies, log_band_weights

    freqs, usable = front_end_frequencies(get_preset("inverse"))
    weights = log_band_weights(freqs, usable, 48, 8000.0)
    short_bins = 129
    assert weights.shape == (48, short_bins + 96)
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(48))
    freqs = torch.cat([torch.arange(129) * 16000 / 256, torch.arange(96) * 16000 / 1024])
    centroids = weights.double() @ freqs.double()
    assert (centroids.diff() > 0).all()  # ordered low to high
    assert 35 < centroids[0] < 60 and centroids[-1] > 6000
    assert (centroids.diff() > 15.6 * 0.9).all()  # never closer than a bin: no duplicates
    low, high = centroids < 1300, centroids > 1700
    assert float(weights[low, :short_bins].sum()) == 0  # low: the long STFT only
    assert float(weights[high, short_bins:].sum()) == 0  # high: the short one


def test_crnn_preset_adds_two_dimensional_context_that_the_output_uses():
    crnn, inverse = (
        AnalysisNetwork(get_preset("crnn")).eval(),
        AnalysisNetwork(get_preset("inverse")),
    )
    assert crnn.parameter_counts()["lite"] > 1.5 * inverse.parameter_counts()["lite"]
    audio = torch.randn(1, 16000 * 2) * 0.1
    with torch.no_grad():
        before = crnn(audio, scores=True)
        crnn.lite.context_conv.output.weight.mul_(3.0)
        after = crnn(audio, scores=True)
    assert before.shape == (1, 11, 2048)  # padded to the 1.024 s GRU windows
    assert (after - before).abs().max() > 1e-3
    # its own STFT hopped at the GRU's rate: 48 bands over 513 bins, read by 125 Hz frames
    assert crnn.lite.context_conv.bands.shape == (48, 513)
    magnitudes = crnn.lite.context_conv.magnitudes(audio.unsqueeze(1), 250)
    assert magnitudes.shape == (1, 513, 250)
    # and the 1-kHz front end keeps only its short STFT
    assert crnn.lite.spectrum(audio.unsqueeze(1)).shape == (1, 129, 2000)


def test_context_stft_frame_p_is_centred_on_sample_128p():
    model = AnalysisNetwork(get_preset("crnn")).eval()
    audio = torch.zeros(1, 1, 16000)
    audio[0, 0, 128 * 40] = 1.0  # an impulse at pooled frame 40
    with torch.no_grad():
        energy = model.lite.context_conv.magnitudes(audio, 125).sum(dim=1)[0]
    assert int(energy.argmax()) == 40
    assert float(energy[36]) < float(energy[40])  # a 1,024-sample window: 4 frames either side
    assert float(energy[45]) == 0.0
