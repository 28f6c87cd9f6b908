#!/usr/bin/env bash
# Install every installable XPAK of the fixture binhost (--nodeps, index order) with stageforge into a fresh root
# (3 passes in one JVM, one syncfs of the root per batch), then extract the same payloads with
# `zstd -dc | tar -x` into a fresh directory (then sync); print both and the ratio (target <= 2). The compared passes
# skip the pkg_* phases (tar runs none); the same number of passes with phases follows, for their cost.
# Usage: bench/install.sh [FIXTURES_DIR] [unprivileged]
set -euo pipefail
cd "$(dirname "$0")/.."
FIX=$(realpath "${1:-../shared/fixtures}")
MODE=${2:-}
BUILD=target
WORK="$BUILD/install-bench"
mkdir -p "$WORK"
mvn -B -ntp -q test-compile >/dev/null
mvn -B -ntp -q dependency:build-classpath -Dmdep.outputFile="$BUILD/bench-cp.txt" >/dev/null
CP="$BUILD/classes:$BUILD/test-classes:$(cat "$BUILD/bench-cp.txt")"

echo "== stageforge merge (${MODE:-default mode for uid $(id -u)})"
java -cp "$CP" org.stageforge.bench.InstallBench "$FIX" "$WORK" 3 $MODE phases | tee "$WORK/java.txt"

extract_all() {
  rm -rf "$WORK/tar" && mkdir -p "$WORK/tar"
  while IFS= read -r f; do
    size=$(stat -c %s "$f")
    xlen=$(tail -c 8 "$f" | head -c 4 | od -An -tu4 --endian=big | tr -d ' ')
    head -c $((size - 8 - xlen)) "$f" | zstd -dcq | tar -x -C "$WORK/tar"
  done < "$WORK/install-list.txt"
  sync -f "$WORK/tar"
}
echo "== zstd -dc | tar -x of the same payloads"
extract_all # warm the page cache
start=$(date +%s.%N); extract_all; end=$(date +%s.%N)
shell=$(echo "$end - $start" | bc)
echo "shell pipeline: ${shell} s"
best=$(grep -o 'pass [0-9]*: [0-9.]* s' "$WORK/java.txt" | awk '{print $3}' | sort -n | head -1)
echo "== ratio stageforge(best pass)/shell: $(echo "scale=2; $best / $shell" | bc)"
rm -rf "$WORK/tar" "$WORK/root" "$WORK/build"
