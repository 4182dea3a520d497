#!/usr/bin/env bash
# Repeat the paper's ablation (Figure 8) at equal budget: train the full model and each
# variant on the same unlabeled audio, from the same seed, for the same number of
# items, with the paper's loss; then score them all with bench/figure8.py.
#
#   scripts/train_ablations.sh WORK_DIR STEPS [BATCH] [PARALLEL]
#
# WORK_DIR must hold gmd-train/ (unlabeled audio), e.g. from
#   drummernet render GROOVE --split train --kit ... --out WORK_DIR/gmd-train --limit 320
# Environment:
#   BASE   the network every switch is applied to (default fast: the paper's model,
#          4.5x faster to train on a CPU; BASE=paper gives exactly the paper's presets)
#   SEEDS  seeds to repeat each variant with (default "0 1")
#   ONLY   variants to train (default "full soft mel stft noe conv")
# PARALLEL runs train at once, one thread each (default 2, this machine's cores).
# A run already in WORK_DIR/figure8/VARIANT-sSEED is resumed to STEPS (so the same
# command continues after a stop); a finished one is left alone.
set -euo pipefail
WORK=$1 STEPS=$2 BATCH=${3:-16} PARALLEL=${4:-2}
BASE=${BASE:-fast} SEEDS=${SEEDS:-0 1} ONLY=${ONLY:-full soft mel stft noe conv}
. "$(dirname "$0")/python_env.sh"  # PY: the .venv Python unless PYTHON is set

switch() {  # the --set options of one variant (the paper's Figure 8 switches)
    case $1 in
        full) ;;
        soft) echo "--set activation=softmax" ;;
        mel) echo "--set spectrum=mel" ;;
        stft) echo "--set spectrum=stft" ;;
        noe) echo "--set onset_enhancement=false" ;;
        conv) echo "--set temporal_model=conv" ;;
        *) echo "unknown variant $1" >&2; exit 2 ;;
    esac
}

one_run() {  # VARIANT SEED
    local out="$WORK/figure8/$1-s$2" resume=()
    [ -f "$out/last.pt" ] && [ -f "$out/checkpoints/step-$(printf %08d "$STEPS").ckpt" ] && return 0
    [ -d "$out/checkpoints" ] && resume=(--resume)
    # shellcheck disable=SC2046
    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE $PY -m drummernet.cli train "$WORK/gmd-train" \
        --out "$out" --config "$BASE" $(switch "$1") --set "name=$BASE-$1" --seed "$2" \
        --batch-size "$BATCH" --steps "$STEPS" --checkpoint-every 32 --keep 2 \
        --cache-dir "$WORK/cache" --quiet "${resume[@]}" > "$out.log" 2>&1
}

mkdir -p "$WORK/figure8"
jobs_=()
for seed in $SEEDS; do for variant in $ONLY; do jobs_+=("$variant $seed"); done; done
for job in "${jobs_[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do wait -n || true; done
    one_run $job &
done
wait
echo "trained: $WORK/figure8; score with: python bench/figure8.py $WORK/figure8/*-s*/last.pt"
