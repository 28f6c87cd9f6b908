#!/bin/sh
# Resolve a synthetic 20,000-entry Packages index (goal: < 1 s). Usage: bench/resolve.sh [runs]
set -e
cd "$(dirname "$0")/.."
mvn -B -ntp -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath >/dev/null
exec java -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" org.stageforge.bench.ResolveBench "${1:-10}"
