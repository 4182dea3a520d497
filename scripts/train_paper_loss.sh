#!/usr/bin/env bash
# Does the paper's loss add to the warm start? (issue 35) Fine-tune the shipped default
# four ways for the same number of items, from the same seed, and keep a checkpoint
# every 512 items for the F1-against-items curves:
#   inverse       the warm start's own objective, continued (the control)
#   mixed-W       the warm start plus W x the paper's loss on the unlabeled audio, per step
#   recon-sparse  the paper's loss alone on the unlabeled audio, sparsemax head
#
#   scripts/train_paper_loss.sh GMD_ROOT KITS_ROOT WORK_DIR UNLABELED [STEPS]
#
# UNLABELED: drum audio without labels, e.g. the GMD train MIDI rendered through the 4
# held-out kits (a user's own kit: the validation render plays other MIDI through them):
#   drummernet render GMD_ROOT --split train --kit K/hydrogen-bja-pacific ... \
#       --out WORK_DIR/gmd-train-heldout-kits --seed 3 --limit 80
# Then score every checkpoint on validation: python bench/warm_start.py \
#   WORK_DIR/paper-loss/*/checkpoints/step-*.ckpt --validation WORK_DIR/gmd-validation
# (recon-sparse with --head as trained). Each run resumes where it stopped.
set -euo pipefail
GMD=$1 K=$2 WORK=$3 UNLABELED=$4 STEPS=${5:-128}
LR=${LR:-1e-4} ONLY=${ONLY:-inverse mixed-0.05 mixed-0.2 recon-sparse}
. "$(dirname "$0")/python_env.sh"  # PY: the .venv Python unless PYTHON is set
. "$(dirname "$0")/recipe_kits.sh"  # synth_args
DEFAULT=$(dirname "$0")/../drummernet/pretrained/drummernet-default.pt
for run in $ONLY; do
    out=$WORK/paper-loss/$run resume=() new=()
    if [ -d "$out/checkpoints" ]; then resume=(--resume); else new=(--init "$DEFAULT"); fi
    case $run in
        inverse) args=("$GMD" --split train --objective inverse "${synth_args[@]}" --workers 1) ;;
        mixed-*) args=("$GMD" --split train --objective mixed --unlabeled "$UNLABELED"
                       --reconstruction-weight "${run#mixed-}" "${synth_args[@]}" --workers 1) ;;
        recon-sparse) args=("$UNLABELED" --objective reconstruction --set activation=sparsemax
                            --cache-dir "$WORK/cache") ;;
        *) echo "unknown run $run" >&2; exit 2 ;;
    esac
    [ ${#resume[@]} -eq 0 ] || args=()  # a resumed run keeps its own data and options
    $PY -m drummernet.cli train "${args[@]}" "${new[@]}" "${resume[@]}" --out "$out" \
        --set "learning_rate=$LR" --steps "$STEPS" --checkpoint-every 32 --keep 100 --quiet
done
