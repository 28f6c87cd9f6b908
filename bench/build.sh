#!/bin/sh
# Source-build benchmark (org.stageforge.build.BuildBench): stageforge's wall time for building N packages of the
# synthetic test repository from source in the test seed, next to the same emerge run directly in the same seed,
# the overhead ratio (target <= 1.10), and the time until the first emerge starts with a warm seed cache (< 5 s).
# Needs root, mmdebstrap and ../shared/tools (the test seed is built once and cached under target/).
# Usage: bench/build.sh [N]   (default 5)
set -eu
cd "$(dirname "$0")/.."
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
mvn -B -ntp -q -o test-compile
mvn -B -ntp -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile" >/dev/null
cp="target/test-classes:target/classes:$(cat "$cpfile")"
exec "${JAVA:-java}" -cp "$cp" org.stageforge.build.BuildBench "$@"
