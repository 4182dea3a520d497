#!/usr/bin/env bash
# Repeat the paper's ablation (Figure 8): train the full model and each variant on the
# same data for the same time, then score them all with the same harness.
#
#   scripts/train_ablations.sh WORK_DIR MINUTES_EACH [BATCH] [WORKERS] DATASET...
#
# WORK_DIR must hold gmd-train/ and gmd-validation/ (see scripts/train_default.sh).
set -euo pipefail
WORK=$1 MINUTES=$2 BATCH=${3:-32} WORKERS=${4:-2}
shift 4
. "$(dirname "$0")/python_env.sh"  # PY: the .venv Python unless PYTHON is set
models=()
for preset in paper soft mel stft noe conv; do
    resume=()
    [ -d "$WORK/ablation-$preset/checkpoints" ] && resume=(--resume)
    $PY -m drummernet.cli train "$WORK/gmd-train" --out "$WORK/ablation-$preset" \
        --config "$preset" --batch-size "$BATCH" --steps 1000000 --max-minutes "$MINUTES" \
        --validation "$WORK/gmd-validation" --validate-every 250 --workers "$WORKERS" \
        --cache-dir "$WORK/cache" --quiet "${resume[@]}"
    models+=("$preset=$WORK/ablation-$preset/best.pt")
done
$PY -m drummernet.cli ablation "$@" --models "${models[@]}" -o "$WORK/figure8.md" \
    -o "$WORK/figure8.json"
