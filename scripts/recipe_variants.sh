#!/usr/bin/env bash
# Train one variant of the default recipe (issue 16) and score its checkpoints on the
# validation render, every class, thresholds tuned there (validation only).
#
#   scripts/recipe_variants.sh GMD_ROOT KITS_ROOT WORK_DIR VARIANT [STEPS]
#
# WORK_DIR is a folder of scripts/train_default.sh (its gmd-validation render is used).
# VARIANT:
#   base        the shipped recipe (scripts/train_default.sh's training command)
#   kits        + 5 General MIDI SoundFont kits (Debian packages
#               musescore-general-soundfont-small, timgm6mb-soundfont), built here
#   crash       + `--crashes 0.4`: a crash on a kick inside 40 % of the items
#   kits-crash  both
#   cosine      + `--lr-schedule cosine` (to 0 at STEPS)
#   avl         + the two AVL Drumkits (Debian avldrums.lv2-soundfont; Glen MacArthur,
#               CC BY-SA 3.0; a bank-0 preset: `kits build soundfont --bank 0`), built
#               here; their hi-hats are the Hydrogen Black Pearl kit's, already trained on
#   exadrums    + the exadrums acoustic kit (Debian exadrums, BSD-3-Clause: kick, snare,
#               hi-hat, crash, ride, 2 toms), built here with `kits build folder`
#   metal-voicing + `--voicing 6 6 --voicing-families HH CY OT`: hats, cymbals and
#               tambourine re-tuned by up to 2 semitones (a third of 6) and tilted by up
#               to 6 dB/octave per item, the drums as they are (issue 16: cymbals and
#               hats of kits never heard)
#   fast-linear the same recipe with the paper's U-net + GRU network (`fast`) instead of
#               `lite`, its component GRU given 8 units and a linear output (the paper's
#               single tanh unit cannot reach this objective's targets) and a sigmoid
#               head, as `inverse` has (issue 15's equal-training comparison)
# Each writes WORK_DIR/variants/VARIANT/ (the run) and VARIANT-STEP.json (the scores of
# checkpoints 750 and STEPS, `drummernet evaluate --tune-on ... --classes all`).
# Results of 2026-12-03: bench/results/recipe-variants-2026-12-03/README.md.
set -euo pipefail
GMD=$1 K=$2 WORK=$3 VARIANT=$4 STEPS=${5:-1000}
. "$(dirname "$0")/python_env.sh"  # PY: the .venv Python unless PYTHON is set
OUT=$WORK/variants
mkdir -p "$OUT" "$K/extra"
. "$(dirname "$0")/recipe_kits.sh"  # synth_args: the shipped recipe's kits
args=("${synth_args[@]}")
extra_kits() {  # the presets of the two SoundFonts that sound unlike each other and FluidR3
    local sf program
    for spec in /usr/share/sounds/sf3/MuseScore_General_Lite.sf3:musescore:0,16,48 \
                /usr/share/sounds/sf2/TimGM6mb.sf2:timgm6mb:0,25; do
        IFS=: read -r sf name programs <<< "$spec"
        [ -f "$sf" ] || { echo "missing $sf (apt-get install musescore-general-soundfont-small timgm6mb-soundfont)" >&2; exit 1; }
        for program in ${programs//,/ }; do
            [ -f "$K/extra/$name-$program/kit.json" ] || $PY -m drummernet.cli kits build soundfont \
                "$sf" --program "$program" --name "$name-$program" --out "$K/extra" >/dev/null
            args+=(--kit "$K/extra/$name-$program")
        done
    done
}
avl_kits() {  # the AVL Drumkits' acoustic kits (the SoundFonts' bank 0, program 0)
    local name sf
    for spec in red-zeppelin:Red_Zeppelin_4_LV2 black-pearl:Black_Pearl_4_LV2; do
        IFS=: read -r name sf <<< "$spec"
        sf=/usr/share/sounds/sf2/$sf.sf2
        [ -f "$sf" ] || { echo "missing $sf (apt-get install avldrums.lv2-soundfont)" >&2; exit 1; }
        [ -f "$K/extra/avl-$name/kit.json" ] || $PY -m drummernet.cli kits build soundfont \
            "$sf" --bank 0 --name "avl-$name" --out "$K/extra" >/dev/null
        args+=(--kit "$K/extra/avl-$name")
    done
}
exadrums_kit() {  # the samples the exadrums drum module ships, a kit of 7 components
    [ -d /usr/share/exadrums ] || { echo "missing /usr/share/exadrums (apt-get install exadrums)" >&2; exit 1; }
    [ -f "$K/extra/exadrums/kit.json" ] || $PY -m drummernet.cli kits build folder \
        /usr/share/exadrums --name exadrums --out "$K/extra" >/dev/null
    args+=(--kit "$K/extra/exadrums")
}
case $VARIANT in
    base) ;;
    kits) extra_kits ;;
    crash) args+=(--crashes 0.4) ;;
    kits-crash) extra_kits; args+=(--crashes 0.4) ;;
    cosine) args+=(--lr-schedule cosine) ;;
    avl) avl_kits ;;
    exadrums) exadrums_kit ;;
    metal-voicing) args+=(--voicing 6 6 --voicing-families HH CY OT) ;;
    fast-linear) args+=(--config fast --set name=fast-linear --set activation=sigmoid --set component_gru_units=8) ;;
    *) echo "unknown variant $VARIANT" >&2; exit 2 ;;
esac
resume=()
[ -d "$OUT/$VARIANT/checkpoints" ] && resume=(--resume)
$PY -m drummernet.cli train "$GMD" --split train --objective inverse --config inverse \
    "${args[@]}" --out "$OUT/$VARIANT" --steps "$STEPS" --workers 1 \
    --validation "$WORK/gmd-validation" --validation-classes all --validate-every 250 \
    --checkpoint-every 250 --keep 100 "${resume[@]}"
for step in 750 "$STEPS"; do
    model=$OUT/$VARIANT-$step.pt
    $PY "$(dirname "$0")/export_checkpoint.py" "$OUT/$VARIANT/checkpoints/step-$(printf %08d "$step").ckpt" "$model"
    $PY -m drummernet.cli evaluate "$WORK/gmd-validation" --model "$model" \
        --tune-on "$WORK/gmd-validation" --classes all --max-seconds 60 -o "${model%.pt}.json"
done
