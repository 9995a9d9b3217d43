#!/usr/bin/env bash
# Whole cold runs of the fashion-mnist sample against the same recipe in PyTorch, interleaved, one line per run:
# epoch times, test accuracy, the first steps' times, wall time and peak RSS (from /usr/bin/time).
#
#   mvn -B -q install -DskipTests
#   autodiff-bench/tools/whole_run.sh ROUNDS "LABEL|JVM FLAGS" ["LABEL|JVM FLAGS" ...]
#   autodiff-bench/tools/whole_run.sh 3 "parallel64|-XX:+UseParallelGC -Xmn64m" "g1|"
#
# JAVA (default java) picks the JDK; EPOCHS (default 3) the epochs; THREADS (default 2) both libraries' threads;
# DTYPE (float64 or float32, default float64) both libraries' dtype.
# Needs apt-get install dataset-fashion-mnist python3-torch libopenblas0-openmp time.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:?rounds}; shift
JAVA=${JAVA:-java}; EPOCHS=${EPOCHS:-3}; THREADS=${THREADS:-2}; DTYPE=${DTYPE:-float64}
torch_dtype=(); [[ $DTYPE == float32 ]] && torch_dtype=(--float32)
cp_file=$(mktemp)
mvn -B -q -pl samples dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
CP=samples/target/samples-0.1.0.jar:$(cat "$cp_file")

summary() { # label: reads the program's output and /usr/bin/time's TIME line
  awk -v L="$1" '
/^step/ {n++; t=$3; if (n==1) s1=t; if (n<=200) s200+=t}
/^epoch [0-9]+  train/ {ep=ep" "$4; acc=$NF}
/^TIME/ {wall=$2; rss=$3/1024}
END {printf "%-24s epochs%s s  accuracy %s  step 1 %.0f ms  steps 1-200 %.0f ms  wall %s s  peak RSS %.0f MB\n", L, ep, acc, s1, s200, wall, rss}'
}

for ((r = 1; r <= rounds; r++)); do
  OMP_NUM_THREADS=$THREADS /usr/bin/time -f "TIME %e %M" /usr/bin/python3 autodiff-bench/tools/torch_fashion_mnist.py \
      --threads "$THREADS" --epochs "$EPOCHS" --steps 200 "${torch_dtype[@]}" 2>&1 | summary "pytorch $DTYPE"
  for config in "$@"; do
    label=${config%%|*}; flags=${config#*|}
    # shellcheck disable=SC2086
    /usr/bin/time -f "TIME %e %M" "$JAVA" $flags --add-modules jdk.incubator.vector -Dautodiff.threads="$THREADS" \
        -Dfashion.steps=200 -Dfashion.epochs="$EPOCHS" -Dfashion.dtype="$DTYPE" -cp "$CP" dev.autodiff.samples.Main fashion-mnist 2>&1 \
        | grep -v '^WARNING' | summary "$label"
  done
done
rm -f "$cp_file"
