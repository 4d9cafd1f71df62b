#!/usr/bin/env bash
# On-device training result tables (docs/ondevice.md), every figure from nas_tune on data that
# ships with Debian (scripts/transfer_data.sh):
#   digits        scikit-learn's 8x8 digits: new classes, few samples (classifier re-initialised)
#   fmnist_shift  Fashion-MNIST rotated and inverted: a domain shift, same classes
# The pre-trained model is a searched Fashion-MNIST winner as deployed (int8): MODEL (default the
# committed tests/tflite/data/fmnist_sram8_flash64.tflite).
# Tables written to $out/tables.md:
#   1. MCUNetV3's Table 7: LibTorch float SGD vs int8 SGD vs int8 SGD + QAS, same parameters
#      (SCHEME_FLAGS, default --last-layers 2), same samples, on both tasks;
#   2. test accuracy per training-SRAM budget (BUDGETS_KB) for the searched scheme, the deepest
#      "last k layers" and the deepest bias-only scheme that fit, with each step's SRAM;
#   3. the training step of each scheme of table 2: its SRAM with and without reordering the updates,
#      and in the Cortex-M7 firmware (QEMU) its instructions per sample next to one inference, bit-exact
#      with the host (FIRMWARE=0 skips it); beside it the unpruned full update's SRAM.
#   4. the joint search (nas_search --train-sram-kb, the committed supernet, inference budgets
#      JOINT_SEARCH_FLAGS, default --sram-kb 16 --flash-kb 64 --no-latency-budget) at each training
#      budget of JOINT_BUDGETS_KB (default 16 32) against its first finalist, the evolution's own
#      winner with its best scheme ("search for inference, then search a scheme"; JOINT=0 skips it).
# STEPS (default 1000) SGD updates of batch 1 per fine-tune and per contribution-analysis run
# (ANALYSIS_STEPS, default 300); EVAL_IMAGES test images (default 0: all). Resumable: a run whose
# log ends complete is reused, and each task's contribution analysis is cached.
#   scripts/ondevice_tables.sh [out dir (default out/ondevice_tables)]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/ondevice_tables}
model=${MODEL:-tests/tflite/data/fmnist_sram8_flash64.tflite}
budgets=${BUDGETS_KB:-12 16 32 64 128}
steps=${STEPS:-1000}
analysis_steps=${ANALYSIS_STEPS:-300}
eval_images=${EVAL_IMAGES:-0}
scheme_flags=${SCHEME_FLAGS:---last-layers 2}
mkdir -p "$out/logs"
[ -n "${NO_BUILD:-}" ] || bash scripts/build.sh > "$out/build.log"
[ -d "$out/data/digits" ] && [ -d "$out/data/fmnist_shift" ] || bash scripts/transfer_data.sh "$out/data"

task_flags() {
  case $1 in
    digits) echo "--data $out/data/digits --reinit-head" ;;
    fmnist_shift) echo "--data $out/data/fmnist_shift" ;;
  esac
}

# tune <name> <nas_tune flags...>: one run, logged to $out/logs/<name>.log; reused when complete.
tune() {
  local name=$1 log=$out/logs/$1.log
  shift
  if [ -f "$log" ] && grep -q '^wrote ' "$log"; then return 0; fi
  echo "ondevice_tables: $name"
  ./build/bin/nas_tune --model "$model" --steps "${STEPS_OF_RUN:-$steps}" --eval-images "$eval_images" \
    --out-dir "$out/runs/$name" "$@" > "$log.tmp" 2>&1 || { cat "$log.tmp" >&2; return 1; }
  mv "$log.tmp" "$log"
}

accuracy() { sed -n 's/^accuracy *[0-9.]*% -> \([0-9.]*\)%.*/\1/p' "$out/logs/$1.log"; }
float_accuracy() { sed -n 's/^float reference *\([0-9.]*\)%.*/\1/p' "$out/logs/$1.log"; }
step_kb() { sed -n 's/^training step *\([0-9.]*\) kB.*/\1/p' "$out/logs/$1.log"; }
unordered_kb() { sed -n 's/^training step .*(\([0-9.]*\) kB without reordering.*/\1/p' "$out/logs/$1.log"; }
firmware() { sed -n 's/^firmware .*; \([0-9]*\) instructions per sample.*/\1/p' "$out/logs/$1.log"; }
inference() { sed -n 's/^inference *\([0-9]*\) instructions.*/\1/p' "$out/logs/$1.log"; }
bitexact() { grep -q 'bit-exact with' "$out/logs/$1.log" && echo yes || echo NO; }

{
  echo "# On-device training tables ($(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD 2>/dev/null || echo -))"
  echo
  echo "Model: \`$model\`; $steps SGD steps of batch 1 per fine-tune; contribution analysis: $analysis_steps steps per run."
  echo
  echo "## 1. float vs int8 vs int8 + QAS (\`$scheme_flags\`)"
  echo
  echo "| task | before | LibTorch float SGD | int8 SGD | int8 SGD + QAS | QAS - float |"
  echo "|---|---|---|---|---|---|"
} > "$out/tables.md.tmp"
for task in digits fmnist_shift; do
  # shellcheck disable=SC2046,SC2086
  tune "$task-qas" $(task_flags $task) $scheme_flags --float-reference
  # shellcheck disable=SC2046,SC2086
  tune "$task-noqas" $(task_flags $task) $scheme_flags --no-qas
  before=$(sed -n 's/^accuracy *\([0-9.]*\)% ->.*/\1/p' "$out/logs/$task-qas.log")
  fp=$(float_accuracy "$task-qas")
  qas=$(accuracy "$task-qas")
  echo "| $task | $before% | $fp% | $(accuracy "$task-noqas")% | $qas% | $(awk -v a="$qas" -v b="$fp" 'BEGIN{printf "%+.2f", a-b}') |" \
    >> "$out/tables.md.tmp"
done

{
  echo
  echo "## 2. accuracy per training-SRAM budget (test accuracy; the step's SRAM in kB)"
  echo
  echo "| task | budget kB | searched | last k layers | biases only |"
  echo "|---|---|---|---|---|"
} >> "$out/tables.md.tmp"
for task in digits fmnist_shift; do
  for kb in $budgets; do
    row="| $task | $kb"
    for kind in searched last-layers biases; do
      # shellcheck disable=SC2046
      tune "$task-$kb-$kind" $(task_flags $task) --train-sram-kb "$kb" --budget-scheme "$kind" \
        --analysis-steps "$analysis_steps" --contributions "$out/contributions_$task.json" \
        $([ "${FIRMWARE:-1}" = 0 ] || echo --firmware)
      row="$row | $(accuracy "$task-$kb-$kind")% ($(step_kb "$task-$kb-$kind"))"
    done
    echo "$row |" >> "$out/tables.md.tmp"
  done
done

if [ "${FIRMWARE:-1}" != 0 ]; then
  {
    echo
    echo "## 3. the training step in the Cortex-M7 firmware (QEMU, FPU): instructions per sample"
    echo
    echo "| task | budget kB | scheme | step SRAM kB | without reordering kB | instructions per sample | x one inference | bit-exact |"
    echo "|---|---|---|---|---|---|---|---|"
  } >> "$out/tables.md.tmp"
  for task in digits fmnist_shift; do
    for kb in $budgets; do
      for kind in searched last-layers biases; do
        name=$task-$kb-$kind
        echo "| $task | $kb | $kind | $(step_kb "$name") | $(unordered_kb "$name") | $(firmware "$name") | $(awk -v a="$(firmware "$name")" -v b="$(inference "$name")" 'BEGIN{printf "%.2f", a/b}') | $(bitexact "$name") |" \
          >> "$out/tables.md.tmp"
      done
    done
  done
fi
if [ "${JOINT:-1}" != 0 ]; then
  {
    echo
    echo "## 4. joint search vs search for inference, then search a scheme (transfer test accuracy)"
    echo
    echo "Inference budgets: \`${JOINT_SEARCH_FLAGS:---sram-kb 16 --flash-kb 64 --no-latency-budget}\`, configs/search_fmnist_quick.json."
    echo
    echo "| task | training budget kB | inference winner + its scheme | joint winner (finalist) | its step kB |"
    echo "|---|---|---|---|---|"
  } >> "$out/tables.md.tmp"
  for task in digits fmnist_shift; do
    for kb in ${JOINT_BUDGETS_KB:-16 32}; do
      log=$out/logs/joint-$task-$kb.log
      if ! { [ -f "$log" ] && grep -q '^search took' "$log"; }; then
        echo "ondevice_tables: joint-$task-$kb"
        transfer="--transfer-data $out/data/$task"
        [ "$task" = digits ] && transfer="$transfer --transfer-reinit-head"
        # shellcheck disable=SC2086
        ./build/bin/nas_search --config configs/search_fmnist_quick.json \
          ${JOINT_SEARCH_FLAGS:---sram-kb 16 --flash-kb 64 --no-latency-budget} --out-dir "$out/joint_$task" \
          --train-sram-kb "$kb" $transfer --transfer-steps "$steps" --transfer-analysis-steps "$analysis_steps" \
          > "$log.tmp" 2>&1 || { cat "$log.tmp" >&2; exit 1; }
        mv "$log.tmp" "$log"
      fi
      awk -F'|' -v task="$task" -v kb="$kb" '
        function trim(x) { gsub(/^ +| +$/, "", x); return x }
        /^\| 1 \(inference winner\)/ { first = trim($7) }
        /joint winner/ { split($2, f, " "); winner = f[1]; test = trim($7); step = trim($4) }
        END { printf "| %s | %s | %s | %s (finalist %s) | %s |\n", task, kb, first, test, winner, step }' \
        "$log" >> "$out/tables.md.tmp"
    done
  done
fi

# The unpruned step: every layer's weights and biases (MCUNetV3's full update), one step.
STEPS_OF_RUN=1 tune full-update --data "$out/data/digits" --reinit-head --last-layers 1000
echo >> "$out/tables.md.tmp"
echo "The full update (every layer, the backward pass unpruned): $(step_kb full-update) kB ($(unordered_kb full-update) kB without reordering)." \
  >> "$out/tables.md.tmp"
mv "$out/tables.md.tmp" "$out/tables.md"
echo "ondevice_tables: wrote $out/tables.md"
