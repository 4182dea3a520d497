#!/usr/bin/env bash
# Train the default model from scratch on a CPU, resumably: run the same command
# again (after a stop, or in a later session on a new machine with WORK_DIR carried
# over) and it continues exactly where it stopped.
#
#   scripts/train_default.sh GMD_ROOT KITS_ROOT WORK_DIR [MINUTES] [STEPS]
#
# KITS_ROOT holds the kits built by `drummernet kits build system --out KITS_ROOT`.
# The recipe (issue 16; each choice made on GMD validation, see
# bench/results/warm-start-2026-12-02/README.md): the label-free warm start,
# `--objective inverse`. The Groove MIDI Dataset's train-split MIDI is rendered on the
# fly through a kit drawn per component from the 7 FluidR3 kits and the 8 training
# Hydrogen kits (never the 4 held-out kits of the validation and test renders), and
# the network (preset `inverse`: the lite body with a sigmoid head) learns the
# impulse trains the audio was made from. Batch 16, Adam 4e-4, STEPS steps
# (default 3,200 = 51,200 two-second items, about 1 h at 15 items/s on 2 cores; the shipped model is its step 2,250, chosen by bench/warm_start.py).
# MINUTES bounds this call's training (default: until STEPS).
#
# Then choose a checkpoint and package it (validation only; the test render is for
# scoring the result, never for a choice):
#   python bench/warm_start.py WORK_DIR/run/checkpoints/step-*.ckpt
#   python scripts/export_checkpoint.py WORK_DIR/run/checkpoints/step-N.ckpt model.pt
#   drummernet evaluate WORK_DIR/gmd-validation --model model.pt \
#       --tune-on WORK_DIR/gmd-validation --classes all -o report.json
#   python scripts/package_model.py model.pt report.json
set -euo pipefail
GMD=$1 K=$2 WORK=$3 MINUTES=${4:-100000} STEPS=${5:-3200}
. "$(dirname "$0")/python_env.sh"  # PY: the .venv Python unless PYTHON is set
# RENDER_LIMIT=N renders only the first N MIDI files of each split (to try the script)
limit=()
[ -n "${RENDER_LIMIT:-}" ] && limit=(--limit "$RENDER_LIMIT")
. "$(dirname "$0")/recipe_kits.sh"  # synth_args, held_args
held_fallbacks=(--fallback "$K/hydrogen-millo-drums-v-1" --fallback "$K/hydrogen-audiophob")
for split_seed in validation:1 test:2; do
    split=${split_seed%:*} seed=${split_seed#*:}
    [ -f "$WORK/gmd-$split/render.json" ] || $PY -m drummernet.cli render "$GMD" \
        --split "$split" "${held_args[@]}" "${held_fallbacks[@]}" --out "$WORK/gmd-$split" \
        --workers 2 --seed "$seed" "${limit[@]}"
done
resume=()
[ -d "$WORK/run/checkpoints" ] && resume=(--resume)
$PY -m drummernet.cli train "$GMD" --split train --objective inverse --config inverse \
    "${synth_args[@]}" --out "$WORK/run" --steps "$STEPS" --max-minutes "$MINUTES" \
    --workers 1 --validation "$WORK/gmd-validation" --validation-classes all \
    --validate-every 250 --checkpoint-every 250 --keep 100 "${resume[@]}"
