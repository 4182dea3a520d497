import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch

from drummernet.audio import write_audio
from drummernet.cli import main
from drummernet.components import COMPONENTS
from drummernet.datasets import Hit
from drummernet.datasets.render import render_hits
from drummernet.errors import DrummerNetError
from drummernet.kits.fitting import (
    HEARD_SOURCE,
    HEARD_TEMPLATE_FRAMES,
    VoicingBounds,
    band_interpolation,
    band_spectrum,
    equalise,
    fit_equaliser,
    fit_kits,
    fit_templates,
    heard_one_shot,
    log_band_centres,
    shot_template,
    spectral_distance,
    start_templates,
    template_band_frames,
)
from drummernet.kits.library import get_kit
from drummernet.model import load_model
from drummernet.model.io import fitted_kit
from drummernet.training import AdaptOptions, adapt
from drummernet.training.adapt import _adapt_loop, adapt_per_file, kit_folder_of
from drummernet.transcription.api import get_model, transcribe

PAPER = ("KD_KD", "SD_SD", "HH_CHH")


def played(kit_name: str, n: int = 64, seed: int = 1, spacing: float = 0.25):
    """A random KD/SD/HH line through a kit, a hit every ``spacing`` s: audio and
    ``{component: onset times}``."""
    rng = np.random.default_rng(seed)
    hits = [Hit(spacing * i, str(c), 100) for i, c in enumerate(rng.choice(PAPER, n))]
    audio, labels, _ = render_hits(hits, get_kit(kit_name))
    onsets = {c: np.array([h.time for h in labels if h.component == c]) for c in PAPER}
    return audio, onsets


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    root = tmp_path_factory.mktemp("adapt")
    write_audio(root / "song.flac", played("fluidr3-tr808", 96)[0], 16000)
    write_audio(root / "other.flac", played("fluidr3-tr808", 96, seed=2)[0], 16000)
    return root


def test_a_fitted_kit_moves_toward_the_kit_the_audio_was_played_with():
    """tr808 hits, fitted from the standard and room kits: every fitted one-shot is
    far closer in colour to the tr808's than the one-shot it started from."""
    audio, onsets = played("fluidr3-tr808")
    candidates = [get_kit("fluidr3-standard"), get_kit("fluidr3-room")]
    shots, fits = fit_kits([audio], [onsets], candidates, COMPONENTS)[0]
    truth = get_kit("fluidr3-tr808")
    for c in PAPER:
        start = get_kit(fits[c].source).one_shot(c)
        before = spectral_distance(start, truth.one_shot(c))
        after = spectral_distance(shots[c], truth.one_shot(c))
        assert after < 0.6 * before, (c, before, after)
        assert fits[c].onsets == len(onsets[c]) and len(fits[c].eq_db) == 8
    # a component heard too rarely keeps its first candidate's one-shot, as is
    assert np.array_equal(shots["CY_CRC"], candidates[0].one_shot("CY_CRC"))
    assert fits["CY_CRC"].eq_db == []


def test_the_next_kits_hold_the_next_closest_candidates_each_equalised():
    audio, onsets = played("fluidr3-tr808")
    candidates = [get_kit(k) for k in ("fluidr3-standard", "fluidr3-room", "fluidr3-power")]
    kits = fit_kits([audio], [onsets], candidates, COMPONENTS, choices=4)
    best, _ = fit_kits([audio], [onsets], candidates, COMPONENTS)[0]
    assert len(kits) == 4 and all(np.array_equal(kits[0][0][c], best[c]) for c in COMPONENTS)
    for c in PAPER:
        sources = [k[1][c].source for k in kits]
        errors = [k[1][c].shape_error_db for k in kits]
        assert sorted(sources[:3]) == sorted(k.name for k in candidates)  # each once
        assert errors[:3] == sorted(errors[:3]) and sources[3] == sources[2]  # then the last
        assert len(kits[1][1][c].eq_db) == 8  # equalised too
    with pytest.raises(ValueError, match="choices must be at least 1"):
        fit_kits([audio], [onsets], candidates, COMPONENTS, choices=0)
    with pytest.raises(ValueError, match="rank_by must be one of spectrum, time"):
        fit_kits([audio], [onsets], candidates, COMPONENTS, rank_by="loudness")


def test_a_heard_one_shot_sounds_like_the_template_it_was_made_from_and_dies_away():
    kit = get_kit("fluidr3-standard")
    snare, kick = kit.one_shot("SD_SD"), kit.one_shot("KD_KD")
    heard = heard_one_shot(shot_template(snare))
    assert spectral_distance(heard, snare) < 0.5 * spectral_distance(heard, kick)
    assert len(heard) > 0.9 * 16000 and heard.dtype == np.float32  # ~1 s, continued
    head, tail = np.sqrt(np.mean(heard[:1600] ** 2)), np.sqrt(np.mean(heard[-1600:] ** 2))
    assert tail < 0.05 * head


def test_the_heard_kit_holds_the_templates_of_what_was_heard_often_enough():
    audio, onsets = played("fluidr3-tr808")
    candidates = [get_kit("fluidr3-standard"), get_kit("fluidr3-room")]
    kits = fit_kits([audio], [onsets], candidates, COMPONENTS, choices=2, heard=True)
    assert len(kits) == 3
    (best, _), (heard, fits) = kits[0], kits[-1]
    truth = get_kit("fluidr3-tr808")
    for c in PAPER:
        assert fits[c].source == HEARD_SOURCE and fits[c].onsets == len(onsets[c])
        start = spectral_distance(candidates[0].one_shot(c), truth.one_shot(c))
        assert spectral_distance(heard[c], truth.one_shot(c)) < start, c
        assert np.sqrt(np.mean(heard[c] ** 2)) == pytest.approx(np.sqrt(np.mean(best[c] ** 2)))
    assert np.array_equal(heard["CY_CRC"], best["CY_CRC"])  # never heard: the best kit's


def decay_error_db(shot: np.ndarray, truth: np.ndarray, first: int, last: int) -> float:
    """Mean dB error of ``shot``'s band-by-frame image against ``truth``'s over frames
    ``first:last``, each relative to its loudest cell and floored 60 dB below it."""
    images = (template_band_frames(shot_template(x, last)) for x in (shot, truth))
    mine, true = (np.maximum(i - np.nanmax(i), -60.0) for i in images)
    return float(np.nanmean(np.abs(mine - true)[:, first:]))


def test_the_heard_kit_hears_the_decay_past_the_ranking_templates():
    """The heard one-shots come from longer templates than the ranking's 10 frames:
    where the hits leave room to hear it (0.5 s apart), past those frames they follow
    the played kit's decay more closely than one-shots continued from 10-frame
    templates of the same recordings would. (Hits closer than the templates put the
    next hits' sound into the tails.)"""
    audio, onsets = played("fluidr3-standard", spacing=0.5)
    candidates = [get_kit("fluidr3-room"), get_kit("fluidr3-power")]
    heard, _ = fit_kits([audio], [onsets], candidates, COMPONENTS, heard=True)[-1]
    first = [candidates[0].one_shot(c) for c in COMPONENTS]
    short, _ = fit_templates([audio], [onsets], start_templates(first), COMPONENTS)
    truth = get_kit("fluidr3-standard")
    assert HEARD_TEMPLATE_FRAMES > 10
    for k, c in enumerate(COMPONENTS):
        if c in PAPER:
            long_error = decay_error_db(heard[c], truth.one_shot(c), 10, HEARD_TEMPLATE_FRAMES)
            short_shot = heard_one_shot(short[:, k])
            short_error = decay_error_db(short_shot, truth.one_shot(c), 10, HEARD_TEMPLATE_FRAMES)
            assert long_error < short_error, (c, long_error, short_error)


def test_a_users_own_one_shots_are_the_starting_point_of_what_they_have():
    audio, onsets = played("fluidr3-tr808", 32)
    candidates = [get_kit("fluidr3-standard"), get_kit("fluidr3-tr808")]
    _, free = fit_kits([audio], [onsets], candidates, COMPONENTS)[0]
    _, kept = fit_kits([audio], [onsets], candidates, COMPONENTS, keep_first=True)[0]
    assert free["KD_KD"].source == "fluidr3-tr808"  # the closer one, when free to choose
    assert all(kept[c].source == "fluidr3-standard" for c in PAPER)


def test_the_equaliser_recovers_a_band_curve_it_made_and_stays_in_its_bounds():
    shot = get_kit("fluidr3-standard").one_shot("SD_SD")
    eq = np.array([4.0, -3.0, 0.0, 6.0, -6.0, 2.0, 0.0, -4.0])
    centres = log_band_centres(16000)
    curve = 5.0 + eq @ band_interpolation(centres, VoicingBounds())
    gain, fitted = fit_equaliser(curve, centres)
    assert gain == pytest.approx(np.mean(curve)) and np.allclose(fitted + gain - 5.0, eq, atol=0.5)
    _, clipped = fit_equaliser(np.linspace(-60, 60, len(centres)), centres)
    assert np.max(np.abs(clipped)) == pytest.approx(12.0)
    louder = equalise(shot, 6.0, np.zeros(8), 16000)
    assert np.nanmean(band_spectrum(louder) - band_spectrum(shot)) == pytest.approx(6.0, abs=0.3)


def test_adapt_fits_a_kit_saves_it_with_the_model_and_both_reload(song, tmp_path):
    model = get_model(None)
    out = tmp_path / "adapted.pt"
    options = AdaptOptions(steps=4, batch_size=2, eval_every=2, progress=False)
    lines = []
    summary = adapt(model, [song / "song.flac"], out, options=options, say=lines.append)
    assert summary["steps_run"] == 4 and [h["step"] for h in summary["history"]] == [0, 2, 4]
    assert summary["kept_step"] == 4  # no early stopping by default: the last weights
    pairs = zip(model.state_dict().values(), load_model(out).state_dict().values(), strict=True)
    assert any(not torch.equal(a, b) for a, b in pairs)
    assert any("fitting the kit" in line for line in lines)
    folder = kit_folder_of(out)
    kit = get_kit(folder)
    assert set(kit.layers) == set(COMPONENTS) and (folder / "spectra.png").stat().st_size > 10_000
    others = sorted((folder / "alternatives").iterdir())  # trained on beside the best
    assert [o.name for o in others] == ["adapted-2", "adapted-3", "adapted-heard"]
    assert all(set(get_kit(o).layers) == set(COMPONENTS) for o in others)
    assert summary["fitted"]["KD_KD"]["onsets"] >= 4 and summary["fitted"]["KD_KD"]["eq_db"]
    adapted = load_model(out)
    assert fitted_kit(adapted) == folder
    result = transcribe(song / "song.flac", model=out)
    assert result.meta["kit"] == str(folder) and result.counts().get("KD", 0) > 0
    # re-synthesis plays the fitted kit unless told otherwise
    assert not np.allclose(result.resynthesize(), result.resynthesize("fluidr3-standard"))
    assert "fitted to the recordings" in out.with_suffix(".md").read_text()
    assert fitted_kit(model) is None  # the shipped model has no fitted kit


def test_the_network_learns_the_fitted_kits_alone_or_a_users_kit_as_given(song, tmp_path):
    model = get_model(None)
    options = AdaptOptions(steps=1, batch_size=2, eval_every=1, progress=False, fitted_kits=2)
    fitted = adapt(model, [song / "song.flac"], tmp_path / "a.pt", options=options)
    # the best fit, the next one, the sounds as heard
    assert fitted["played_kits"] == ["a", "a-2", "a-heard"]
    assert "played through: a, a-2, a-heard" in (tmp_path / "a.md").read_text()
    mixed = replace(options, with_starting_kits=True, heard_kit=False)
    played = adapt(model, [song / "song.flac"], tmp_path / "b.pt", options=mixed)["played_kits"]
    assert played[:2] == ["b", "b-2"] and "fluidr3-standard" in played and "b-heard" not in played
    mine = replace(options, fit_kit=False)
    kit = get_kit("fluidr3-tr808").path
    summary = adapt(model, [song / "song.flac"], tmp_path / "c.pt", kit_folder=kit, options=mine)
    assert summary["played_kits"] == ["fluidr3-tr808"] and not summary["fitted"]


def test_the_weights_saved_are_blended_with_the_starting_ones(song, tmp_path):
    model = get_model(None)
    options = AdaptOptions(steps=3, batch_size=2, eval_every=3, progress=False, blend=0.0)
    summary = adapt(model, [song / "song.flac"], tmp_path / "a.pt", options=options)
    saved = load_model(tmp_path / "a.pt").state_dict().values()
    start = model.state_dict().values()
    assert all(torch.equal(a, b) for a, b in zip(start, saved, strict=True))  # blend 0: the start
    assert summary["held_loss_after"] == pytest.approx(summary["history"][0]["held_loss"])
    full = AdaptOptions(steps=3, batch_size=2, eval_every=3, progress=False, blend=1.0)
    summary = adapt(model, [song / "song.flac"], tmp_path / "b.pt", options=full)
    assert summary["held_loss_after"] == pytest.approx(summary["history"][-1]["held_loss"])


def test_adapt_can_also_explain_the_recordings_with_the_papers_loss(song, tmp_path, capsys):
    model = get_model(None)
    base = AdaptOptions(steps=2, batch_size=2, eval_every=2, progress=False, fit_kit=False,
                        blend=1.0)  # fmt: skip
    weights = {}
    for weight in (0.0, 0.0, 1.0):
        options = replace(base, reconstruction_weight=weight)
        out = tmp_path / f"w{len(weights)}.pt"
        summary = adapt(model, [song / "song.flac"], out, options=options)
        assert summary["options"]["reconstruction_weight"] == weight
        weights[len(weights)] = load_model(out).state_dict()
    same = zip(weights[0].values(), weights[1].values(), strict=True)
    assert all(torch.equal(a, b) for a, b in same)  # repeatable, so the difference is the loss
    moved = zip(weights[0].values(), weights[2].values(), strict=True)
    assert any(not torch.equal(a, b) for a, b in moved)
    code = main(["adapt", str(song / "song.flac"), "--out", str(tmp_path / "bad.pt"),
                 "--reconstruction-weight", "-1", "--quiet"])  # fmt: skip
    assert code != 0 and not (tmp_path / "bad.pt").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--reconstruction-weight must be 0 or more" in err[0]


def test_adapt_never_replaces_a_folder_it_did_not_write(song, tmp_path):
    (tmp_path / "mine.kit").mkdir()
    (tmp_path / "mine.kit" / "notes.txt").write_text("mine")
    with pytest.raises(DrummerNetError, match="not a kit adapt fitted"):
        adapt(get_model(None), [song / "song.flac"], tmp_path / "mine.pt")
    assert (tmp_path / "mine.kit" / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "mine.pt").exists()


def test_adapt_per_file_writes_one_model_and_kit_per_file_and_goes_on_after_a_bad_one(
    song, tmp_path
):
    (tmp_path / "junk.wav").write_bytes(b"junk")
    options = AdaptOptions(steps=2, batch_size=2, eval_every=2, progress=False)
    files = [song / "song.flac", tmp_path / "junk.wav", song / "other.flac"]
    results = adapt_per_file(get_model(None), files, tmp_path / "out", options=options)
    assert isinstance(results[str(files[1])], str) and "no usable audio" in results[str(files[1])]
    for name in ("song", "other"):
        model = load_model(tmp_path / "out" / f"{name}.pt")
        assert fitted_kit(model) == tmp_path / "out" / f"{name}.kit"
        assert model.metadata["adaptation"]["adapted_on"] == [str(song / f"{name}.flac")]


def test_adapt_stops_after_patience_and_keeps_the_best_weights():
    """Scripted held-back losses: best at step 4, then two worse measurements."""
    net = torch.nn.Linear(1, 1, bias=False)
    scripted = iter([5.0, 4.0, 3.0, 3.5, 3.2, 1.0])  # steps 0, 2, 4, 6, 8, (10: never reached)

    def step(batch):
        with torch.no_grad():
            net.weight += 1.0  # the weight counts the steps taken
        return 0.0

    options = AdaptOptions(steps=20, eval_every=2, patience=2, progress=False)
    best, state, kept, history = _adapt_loop(net, lambda: None, lambda: next(scripted), step,
                                             options)  # fmt: skip
    assert [h["step"] for h in history] == [0, 2, 4, 6, 8]
    assert (best, kept) == (3.0, 4)
    assert float(state["weight"]) == float(net.weight.detach()) - 4  # step 4, not 8

    scripted = iter([5.0, 4.0, 3.0, 3.5, 3.2, 6.0])
    options = AdaptOptions(steps=10, eval_every=2, patience=0, progress=False)
    last, state, kept, history = _adapt_loop(net, lambda: None, lambda: next(scripted), step,
                                             options)  # fmt: skip
    assert (last, kept, len(history)) == (6.0, 10, 6)  # patience 0: every step, the last kept
    assert float(state["weight"]) == float(net.weight.detach())


def test_adapt_refuses_to_overwrite_its_input_and_needs_audio(song, tmp_path, capsys):
    model = get_model(None)
    base = tmp_path / "base.pt"
    main(["adapt", str(song / "song.flac"), "--quiet", "--steps", "2", "--out", str(base)])
    with pytest.raises(DrummerNetError, match="never overwrites"):
        adapt(model, [song / "song.flac"], base, model_path=str(base))
    (tmp_path / "junk.wav").write_bytes(b"junk")
    with pytest.raises(DrummerNetError, match="no usable audio"):
        adapt(model, [tmp_path / "junk.wav"], tmp_path / "x.pt")
    capsys.readouterr()
    args = ["adapt", str(song / "song.flac"), "--quiet", "--steps", "2", "--out"]
    assert main([*args, str(base)]) == 1
    assert "exists" in capsys.readouterr().err
    assert main([*args, str(tmp_path / "new.pt")]) == 0
    assert "held-back loss" in capsys.readouterr().out
    assert (tmp_path / "new.kit" / "kit.json").is_file()


def test_a_plain_folder_of_one_shots_leaves_nothing_beside_the_model(song, tmp_path, capsys):
    """adapt --kit my_one_shots/: the kit built from the folder is temporary; what is
    written is the model, its fitted kit and its card, and the line says the weights
    saved are a blend."""

    shots = tmp_path / "my_one_shots"
    shots.mkdir()
    kit = get_kit("fluidr3-standard")
    for component, name in (("KD_KD", "kick"), ("SD_SD", "snare_v64"), ("HH_CHH", "hihat")):
        shutil.copy(kit.path / kit.layers[component][0].file, shots / f"{name}.flac")
    out = tmp_path / "out"
    out.mkdir()
    args = ["adapt", str(song / "song.flac"), "--out", str(out / "mine.pt"), "--kit", str(shots),
            "--steps", "2", "-q"]  # fmt: skip
    assert main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == ["mine.kit", "mine.md", "mine.pt"]
    line = capsys.readouterr().out
    assert "50% of the way from the starting weights" in line and "mine.md" in line
