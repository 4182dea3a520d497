#!/usr/bin/env bash
# Train several presets side by side from the same seed on the same data and score
# them on the same validation tracks at the same numbers of segments (2,048, 4,096,
# ... as the paper's code), to check that a faster preset learns as well per segment.
# Each run gets one core (OMP_NUM_THREADS=1) and they run at once; rerunning the
# script resumes unfinished runs.
#
#   scripts/compare_presets.sh TRAIN_DIR VALIDATION_DIR WORK STEPS PRESET[:STEPS]...
#
# e.g. scripts/compare_presets.sh data/render/gmd-train data/render/gmd-validation \
#          runs/compare 256 paper fast:1024
# Results: WORK/PRESET/validation.csv and f1_vs_items.png per preset.
set -euo pipefail
TRAIN=$1 VALID=$2 WORK=$3 STEPS=$4
shift 4
. "$(dirname "$0")/python_env.sh"  # PY: the .venv Python unless PYTHON is set
mkdir -p "$WORK"
pids=()
for spec in "$@"; do
    preset=${spec%%:*} steps=$STEPS
    [ "$spec" != "$preset" ] && steps=${spec#*:}
    resume=()
    [ -d "$WORK/$preset/checkpoints" ] && resume=(--resume)
    OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE nohup $PY -m drummernet.cli train "$TRAIN" \
        --out "$WORK/$preset" --config "$preset" --batch-size 16 --steps "$steps" --seed 0 \
        --validation "$VALID" --validation-tracks 16 --validate-every 1000000 \
        --checkpoint-every 32 --cache-dir "$WORK/cache" -q "${resume[@]}" \
        > "$WORK/$preset.log" 2>&1 &
    pids+=($!)
    echo "$preset: $steps steps, pid $!, log $WORK/$preset.log"
    sleep 60  # let the first run fill the decoded-audio cache
done
wait "${pids[@]}"
