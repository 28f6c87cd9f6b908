#!/bin/sh
# Runs the atom/version JMH benchmark (org.stageforge.bench.AtomBench) with modest iterations.
# Extra arguments go to JMH, e.g.: bench/atom.sh -wi 1 -i 1
set -eu
cd "$(dirname "$0")/.."
cpfile=$(mktemp)
trap 'rm -f "$cpfile"' EXIT
mvn -B -ntp -q test-compile
mvn -B -ntp -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cpfile" >/dev/null
cp="target/test-classes:target/classes:$(cat "$cpfile")"
[ $# -gt 0 ] || set -- -wi 2 -i 3
exec "${JAVA:-java}" -cp "$cp" org.openjdk.jmh.Main 'org.stageforge.bench.AtomBench' -f 1 -foe true "$@"
