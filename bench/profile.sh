#!/usr/bin/env bash
# Profile evaluation benchmark (JMH): cold = first evaluation in a fresh JVM, warm = steady state.
# Usage: bench/profile.sh [extra JMH args]   (fixtures: $STAGEFORGE_FIXTURES or ../shared/fixtures)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -q test-compile
cp="target/test-classes:target/classes:$(mvn -B -ntp -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
exec java -cp "$cp" org.openjdk.jmh.Main 'org.stageforge.bench.ProfileBench' "$@"
