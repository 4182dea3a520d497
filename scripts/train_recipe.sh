#!/usr/bin/env bash
# The shipped default's whole recipe in one resumable script (issue 38): about 1 hour
# on this 2-core CPU. Run the same command again after a stop and every step that is
# done is skipped; the training steps resume where they stopped.
#
#   scripts/train_recipe.sh GMD_ROOT WORK_DIR
#
# 1. the kits: the 15 training kits and the 4 held-out ones (`kits build system`, from
#    hydrogen-drumkits and FluidR3), 400 DrumSynth kits (`kits build drumsynth`, from
#    lmms-common) and 400 procedural kits (`kits build procedural`);
# 2. the warm start from nothing on the 15 kits, 36,000 items, with the validation and
#    test renders (scripts/train_default.sh, STEPS 2250);
# 3. its step 2,250 fine-tuned for 2,048 items at lr 1e-4 with both kit folders beside
#    the 15, a fifth of the draws each (scripts/train_timbre.sh,
#    ONLY=kits15+procedural25+drumsynth25);
# 4. the fine-tune's last step exported and scored on validation with thresholds tuned
#    there (paper classes and --classes all): WORK_DIR/recipe-model.pt and the two
#    reports that scripts/package_model.py takes.
#
# Environment: BASE_STEPS (2250), FT_STEPS (128) and COUNT (400 kits of each folder)
# shorten a trial run, RENDER_LIMIT=N
# renders only N performances per split (see train_default.sh). Needs `make
# system-deps` (fluidsynth, hydrogen-drumkits, lmms-common).
set -euo pipefail
GMD=$1 WORK=$2
BASE_STEPS=${BASE_STEPS:-2250} FT_STEPS=${FT_STEPS:-128} COUNT=${COUNT:-400}
here=$(dirname "$0")
. "$here/python_env.sh"  # PY: the .venv Python unless PYTHON is set
mkdir -p "$WORK"
kits=$WORK/kits
[ -d "$kits/fluidr3-standard" ] || $PY -m drummernet.cli kits build system --out "$kits"
[ -d "$WORK/drumsynth" ] || $PY -m drummernet.cli kits build drumsynth --count "$COUNT" --seed 0 \
    --out "$WORK/drumsynth"
[ -d "$WORK/procedural" ] || $PY -m drummernet.cli kits build procedural --count "$COUNT" --seed 0 \
    --out "$WORK/procedural"
"$here/train_default.sh" "$GMD" "$kits" "$WORK" 100000 "$BASE_STEPS"
base=$WORK/recipe-base.pt
last=$(printf "%s/run/checkpoints/step-%08d.ckpt" "$WORK" "$BASE_STEPS")
[ -f "$base" ] || $PY "$here/export_checkpoint.py" "$last" "$base"
LR=1e-4 NAME=recipe-ft ONLY=kits15+procedural25+drumsynth25 \
    "$here/train_timbre.sh" "$GMD" "$kits" "$WORK" "$FT_STEPS" "$base"
model=$WORK/recipe-model.pt
last=$(printf "%s/timbre/recipe-ft/checkpoints/step-%08d.ckpt" "$WORK" "$FT_STEPS")
[ -f "$model" ] || $PY "$here/export_checkpoint.py" "$last" "$model"
for classes in paper all; do
    report=$WORK/recipe-report-$classes.json
    [ -f "$report" ] || $PY -m drummernet.cli evaluate "$WORK/gmd-validation" --model "$model" \
        --tune-on "$WORK/gmd-validation" --classes "$classes" --max-seconds 60 -o "$report" -q
done
echo "model: $model; package it with"
echo "  python scripts/package_model.py $model $WORK/recipe-report-paper.json" \
    "--classes-report $WORK/recipe-report-all.json"
