#!/usr/bin/env bash
# Verify + list every fixture binary package with stageforge (in one JVM, single thread) and list the
# same payloads with `zstd -dc | tar -t` (plus `tar -t` of each GPKG's outer archive); print the ratio.
# Usage: bench/binpkg.sh [FIXTURES_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
FIX=$(realpath "${1:-../shared/fixtures}")
BUILD=${SF_BUILD_DIR:-target}
mvn -B -ntp -q test-compile -Dsf.buildDir="$PWD/$BUILD" >/dev/null
mvn -B -ntp -q dependency:build-classpath -Dmdep.outputFile="$BUILD/bench-cp.txt" >/dev/null
CP="$BUILD/classes:$BUILD/test-classes:$(cat "$BUILD/bench-cp.txt")"

echo "== stageforge: verify (index + Manifest) + list, 3 passes in one JVM"
start=$(date +%s.%N)
java -cp "$CP" org.stageforge.bench.BinpkgBench "$FIX" 3 | tee "$BUILD/bench-java.txt"
end=$(date +%s.%N)
jvm_total=$(echo "$end - $start" | bc)
echo "JVM wall time incl. startup: ${jvm_total} s"

echo "== zstd -dc | tar -t (and tar -t of the GPKG outer archive)"
list_all() {
  for repo in binhost-xpak-amd64 binhost-gpkg-amd64 binhost-synth-gpkg portage-made-gpkg/quickpkg; do
    while IFS= read -r -d '' f; do
      case "$f" in
        *.xpak)
          size=$(stat -c %s "$f")
          xlen=$(tail -c 8 "$f" | head -c 4 | od -An -tu4 --endian=big | tr -d ' ')
          head -c $((size - 8 - xlen)) "$f" | zstd -dcq | tar -t >/dev/null ;;
        *.gpkg.tar)
          tar -tf "$f" >/dev/null
          img=$(tar -tf "$f" | grep '/image\.tar' | grep -v '\.sig$')
          tar -xOf "$f" "$img" | zstd -dcq | tar -t >/dev/null ;;
      esac
    done < <(find "$FIX/$repo" \( -name '*.xpak' -o -name '*.gpkg.tar' \) -print0 | sort -z)
  done
}
list_all # warm the page cache
start=$(date +%s.%N); list_all; end=$(date +%s.%N)
shell=$(echo "$end - $start" | bc)
echo "shell pipeline: ${shell} s"

best=$(grep -o '[0-9.]* s$' "$BUILD/bench-java.txt" | tr -d ' s' | sort -n | head -1)
echo "== ratio stageforge(best pass)/shell: $(echo "scale=2; $best / $shell" | bc)"
echo "== ratio stageforge(first pass, cold JIT)/shell: $(echo "scale=2; $(head -1 "$BUILD/bench-java.txt" | grep -o '[0-9.]* s$' | tr -d ' s') / $shell" | bc)"
