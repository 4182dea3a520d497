#!/usr/bin/env bash
# Train the default model from scratch: render the Groove MIDI Dataset through the
# training kits (Hydrogen kits the synthesizer never uses), then train unsupervised.
#
#   scripts/train_default.sh GMD_ROOT KITS_ROOT WORK_DIR [MINUTES] [BATCH] [WORKERS]
#
# KITS_ROOT holds the kits built by `drummernet kits build system --out KITS_ROOT`.
# The labeled validation render (GMD validation split, held-out kits) picks the best
# checkpoint. The same script ran on the GPU machine that trained the shipped model.
set -euo pipefail
GMD=$1 K=$2 WORK=$3 MINUTES=${4:-60} BATCH=${5:-32} WORKERS=${6:-2}
PY=${PYTHON:-python3}
TRAIN_KITS=(forzee-stereo-drumkit the-black-pearl-1-0 colomboacousticdrumkit millo-multilayered2
            millo-multilayered3 varibreaks electricempirekit hardelectro1)
HELD_OUT_KITS=(bja-pacific millo-drums-v-1 rumpf-kit-z01-gm audiophob)
train_args=() held_args=()
for k in "${TRAIN_KITS[@]}"; do train_args+=(--kit "$K/hydrogen-$k"); done
for k in "${HELD_OUT_KITS[@]}"; do held_args+=(--kit "$K/hydrogen-$k"); done
[ -f "$WORK/gmd-train/render.json" ] || $PY -m drummernet.cli render "$GMD" --split train \
    "${train_args[@]}" --fallback "$K/hydrogen-forzee-stereo-drumkit" \
    --out "$WORK/gmd-train" --workers "$WORKERS" --seed 0
[ -f "$WORK/gmd-validation/render.json" ] || $PY -m drummernet.cli render "$GMD" \
    --split validation "${held_args[@]}" --fallback "$K/hydrogen-millo-drums-v-1" \
    --fallback "$K/hydrogen-audiophob" --out "$WORK/gmd-validation" --workers "$WORKERS" --seed 1
resume=()
[ -d "$WORK/run/checkpoints" ] && resume=(--resume)
$PY -m drummernet.cli train "$WORK/gmd-train" --out "$WORK/run" --config paper \
    --batch-size "$BATCH" --steps 1000000 --max-minutes "$MINUTES" \
    --validation "$WORK/gmd-validation" --validate-every 250 --validation-tracks 24 \
    --checkpoint-every 250 --workers "$WORKERS" --cache-dir "$WORK/cache" "${resume[@]}"
