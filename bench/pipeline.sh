#!/bin/sh
# Pipeline overhead: a full `stageforge build` of a synthetic stage (default 60 packages x 300 files) next to the
# sum of its install and pack steps run alone, in the same run (org.stageforge.pipeline.PipelineBench).
# Usage: bench/pipeline.sh [PACKAGES [FILES]]
set -eu
cd "$(dirname "$0")/.."
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
mvn -B -ntp -q test-compile
mvn -B -ntp -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile" >/dev/null
cp="target/test-classes:target/classes:$(cat "$cpfile")"
exec "${JAVA:-java}" -cp "$cp" org.stageforge.pipeline.PipelineBench "$@"
