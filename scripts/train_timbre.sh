#!/usr/bin/env bash
# Timbre at scale (issue 38): the warm start on the recipe's 15 training kits, against
# the same with procedural kits beside them, at equal items from the same seed, with a
# checkpoint every 512 items for the F1-against-items curves.
#
#   scripts/train_timbre.sh GMD_ROOT KITS_ROOT WORK_DIR STEPS [INIT]
#
# WORK_DIR/procedural holds the procedural kits (made here if missing:
# `drummernet kits build procedural --count 400 --out WORK_DIR/procedural`), and
# WORK_DIR/drumsynth the DrumSynth ones (`kits build drumsynth`, needs lmms-common).
# INIT: a model file to fine-tune (default: a new network). Environment:
#   ONLY    variants (default "kits15 kits15+procedural25"; also kits15+drumsynth25,
#           kits15+procedural25+drumsynth25, kits15+procedural25+drumsynth25each, and
#           oracle: the 4 held-out kits of the validation and test renders instead, a
#           ceiling to measure, never a model to ship)
#   LR      learning rate (default: the preset's)
#   CONFIG  the network's preset (default inverse's; crnn for more capacity)
#   REVERB  room: image-source rooms (train --reverb)
#   NAME    the run's folder under WORK_DIR/timbre (default: the variant)
# Each run resumes where it stopped. Score on validation only:
#   python bench/warm_start.py WORK_DIR/timbre/*/checkpoints/step-*.ckpt \
#       --validation WORK_DIR/gmd-validation
set -euo pipefail
GMD=$1 K=$2 WORK=$3 STEPS=$4 INIT=${5:-}
ONLY=${ONLY:-kits15 kits15+procedural25}
. "$(dirname "$0")/python_env.sh"  # PY: the .venv Python unless PYTHON is set
. "$(dirname "$0")/recipe_kits.sh"  # synth_args: the 15 training kits
[ -d "$WORK/procedural" ] || $PY -m drummernet.cli kits build procedural --count 400 \
    --seed 0 --out "$WORK/procedural"
drumsynth() {  # DIR [OPTION ...]: the DrumSynth kits (needs lmms-common), made if missing
    [ -d "$1" ] || $PY -m drummernet.cli kits build drumsynth --count 400 --seed 0 --out "$@"
}
case " $ONLY " in *"drumsynth25 "*) drumsynth "$WORK/drumsynth" ;; esac
case " $ONLY " in *drumsynth25each*) drumsynth "$WORK/drumsynth-each" --tom-presets each ;; esac
for run in $ONLY; do
    out=$WORK/timbre/${NAME:-$run} args=() extra=() kits=("${synth_args[@]}")
    case $run in
        kits15) ;;
        oracle) kits=("${held_args[@]}") ;;
        # the folder of kits is drawn as often as one kit: given 5 times beside the 15
        # kits, a procedural kit plays a component in 5 of 20 draws
        kits15+procedural25) for _ in 1 2 3 4 5; do extra+=(--kit "$WORK/procedural"); done ;;
        # DrumSynth presets rendered (kits build drumsynth, lmms-common), the same share
        kits15+drumsynth25) for _ in 1 2 3 4 5; do extra+=(--kit "$WORK/drumsynth"); done ;;
        # both, a fifth of the draws each (5 + 5 of 25 entries)
        kits15+procedural25+drumsynth25) for _ in 1 2 3 4 5; do
            extra+=(--kit "$WORK/procedural" --kit "$WORK/drumsynth"); done ;;
        # the same with a DrumSynth preset per tom (kits build drumsynth --tom-presets each)
        kits15+procedural25+drumsynth25each) for _ in 1 2 3 4 5; do
            extra+=(--kit "$WORK/procedural" --kit "$WORK/drumsynth-each"); done ;;
        *) echo "unknown run $run" >&2; exit 2 ;;
    esac
    [ -n "${LR:-}" ] && extra+=(--set "learning_rate=$LR")
    [ -n "${CONFIG:-}" ] && extra+=(--config "$CONFIG")
    [ -n "${REVERB:-}" ] && extra+=(--reverb "$REVERB")
    if [ -d "$out/checkpoints" ]; then
        args=(--resume)
    else
        args=("$GMD" --split train --objective inverse "${kits[@]}" "${extra[@]}")
        [ -n "$INIT" ] && args+=(--init "$INIT")
    fi
    $PY -m drummernet.cli train "${args[@]}" --out "$out" --steps "$STEPS" --workers 1 \
        --checkpoint-every 32 --keep 100 --quiet
done
