#!/usr/bin/env bash
# Fine-tune the default model to hear drums inside music (issue "Songs"), resumably:
# run the same command again (after a stop, or in a later session with WORK_DIR
# carried over) and it continues where it stopped.
#
#   scripts/train_songs.sh GMD_ROOT KITS_ROOT WORK_DIR [MINUTES] [STEPS]
#
# KITS_ROOT holds the kits of `drummernet kits build system --out KITS_ROOT`. The
# recipe: the default recipe's items (scripts/train_default.sh: GMD train-split MIDI
# through a kit per component drawn from the 15 recipe kits, `--objective inverse`),
# 80 % of them mixed with a band (`drummernet band render`: generated accompaniment,
# training programs, the FluidR3, MuseScore General and OPL-3 SoundFonts) at a band
# level drawn from 12 dB under the drums to 12 dB over, starting from the shipped
# default's weights, Adam 2e-4, batch 16, STEPS steps (default 2,500 = 40,000 items).
# Checkpoints every 250 steps; choose one on validation only (bench/songs.py).
# Variants: BAND_SHARE (default 0.8), LR (default 2e-4) and RUN (the run folder's
# name under WORK_DIR, default songs-run).
set -euo pipefail
GMD=$1 K=$2 WORK=$3 MINUTES=${4:-100000} STEPS=${5:-2500}
SHARE=${BAND_SHARE:-0.8} LR=${LR:-2e-4} RUN=${RUN:-songs-run}
. "$(dirname "$0")/python_env.sh"  # PY: the .venv Python unless PYTHON is set
. "$(dirname "$0")/recipe_kits.sh"  # synth_args
[ -f "$WORK/band-train/band.json" ] || $PY -m drummernet.cli band render \
    --out "$WORK/band-train" --clips 240 --seconds 16 --seed 0 --workers 2 -q
resume=() init=()
if [ -d "$WORK/$RUN/checkpoints" ]; then
    resume=(--resume)
else
    init=(--init "$(dirname "$0")/../drummernet/pretrained/drummernet-default.pt"
          --set "learning_rate=$LR" --band-share "$SHARE")
fi
$PY -m drummernet.cli train "$GMD" --split train --objective inverse "${synth_args[@]}" \
    --band "$WORK/band-train" --band-db -12 12 "${init[@]}" \
    --out "$WORK/$RUN" --steps "$STEPS" --max-minutes "$MINUTES" --workers 1 \
    --checkpoint-every 250 --keep 100 "${resume[@]}"
