# The kits of the default recipe (issue 16), sourced by scripts/train_default.sh and
# scripts/recipe_variants.sh so that both train on the same ones. Needs K (the
# KITS_ROOT of `drummernet kits build system --out K`); sets synth_args (the training
# kits as --kit options) and held_args (the 4 held-out kits of the validation and test
# renders, never used for training or by the synthesizer).
FLUIDR3_KITS=(standard room power electronic tr808 jazz brush)
TRAIN_KITS=(forzee-stereo-drumkit the-black-pearl-1-0 colomboacousticdrumkit millo-multilayered2
            millo-multilayered3 varibreaks electricempirekit hardelectro1)
HELD_OUT_KITS=(bja-pacific millo-drums-v-1 rumpf-kit-z01-gm audiophob)
synth_args=() held_args=()
for k in "${FLUIDR3_KITS[@]}"; do synth_args+=(--kit "fluidr3-$k"); done
for k in "${TRAIN_KITS[@]}"; do synth_args+=(--kit "$K/hydrogen-$k"); done
for k in "${HELD_OUT_KITS[@]}"; do held_args+=(--kit "$K/hydrogen-$k"); done
