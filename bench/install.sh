#!/usr/bin/env bash
# Installing real packages against the physical limit, from the built jar (offline; build it first with
# mvn -q -DskipTests package). Rounds alternate the measured commands; each figure is the minimum over the rounds.
#  1. The two-step install of the dependency-closed packages of the fixture XPAK binhost (every package there whose
#     dependencies all have a file): `USE=build stageforge install sys-apps/baselayout`, then
#     `stageforge install --noreplace` of all of them, two JVM starts included, with the pkg_* phases and with --no-phases,
#     against `zstd -dc | tar -x` of the same payloads into an empty directory. Targets: with phases <= 1.6x,
#     without <= 1.3x, whole wall time < 5 s.
#  2. The 200 synthetic GPKGs (one install) against raw extraction of their image members (`tar -xOf PKG
#     '*/image.tar.zst' | zstd -dc | tar -x`). Target <= 1.5x.
# Every side ends with a sync of its file system. Also prints how many phases ran and their mean time.
# Usage: bench/install.sh [ROUNDS] [FIXTURES_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_init install-bench 3 "$@"
SYNTH=$FIX/binhost-synth-gpkg
TARGETS=$PWD/bench/xpak-closed-targets.txt

# the binpkg of every installed package (CPV and BUILD_ID of the VDB against the index)
install_xpak "$W/root" --no-phases
for d in "$W"/root/var/db/pkg/*/*/; do
  cpv=${d#"$W"/root/var/db/pkg/}; cpv=${cpv%/}
  echo "$cpv $(cat "$d/BUILD_ID" 2>/dev/null || echo 1)"
done | sort > "$W/installed.txt"
awk 'function out() { if (c != "" && p != "" && ((c " " b) in want) && !seen[c " " b]++) print p; c = ""; b = "1"; p = "" }
     NR==FNR { want[$1 " " $2] = 1; next } FNR==1 { b = "1" } /^CPV:/ { c = $2 } /^BUILD_ID:/ { b = $2 }
     /^PATH:/ { p = $2 } /^$/ { out() } END { out() }' "$W/installed.txt" "$XPAK/Packages" \
  | sed "s|^|$XPAK/|" > "$W/payloads.txt"
echo "== $(wc -l < "$W/installed.txt") packages installed in two steps ($(wc -l < "$TARGETS") targets), $(wc -l < "$W/payloads.txt") payloads for tar"
[ "$(wc -l < "$W/installed.txt")" = "$(wc -l < "$W/payloads.txt")" ] || { echo "binpkg list incomplete" >&2; exit 1; }

extract_xpak() {
  rm -rf "$W/tar" && mkdir -p "$W/tar"
  while IFS= read -r f; do
    size=$(stat -c %s "$f")
    xlen=$(tail -c 8 "$f" | head -c 4 | od -An -tu4 --endian=big | tr -d ' ')
    head -c $((size - 8 - xlen)) "$f" | zstd -dcq | tar -x -C "$W/tar"
  done < "$W/payloads.txt"
  sync -f "$W/tar"
}
ls "$SYNTH"/*/*/*.gpkg.tar > "$W/gpkgs.txt"
extract_gpkg() {
  rm -rf "$W/tar" && mkdir -p "$W/tar"
  while IFS= read -r f; do
    tar -xOf "$f" --wildcards '*/image.tar.zst' | zstd -dcq | tar -x -C "$W/tar"
  done < "$W/gpkgs.txt"
  sync -f "$W/tar"
}
install_synth() {
  rm -rf "$W/synth" "$W/build"
  # shellcheck disable=SC2046
  "$SF" install --quiet --root "$W/synth" --config-root "$W/cfg" --binhost "$SYNTH" --cache-dir "$W/cache" \
    --build-dir "$W/build" $(cat "$SYNTH/targets.txt")
}
timed() { # VAR COMMAND...: appends the wall seconds of COMMAND to the list VAR
  local var=$1; shift
  local t0; t0=$(now); "$@"; local t1; t1=$(now)
  printf -v "$var" '%s %.2f' "${!var}" "$(echo "$t1 - $t0" | bc)"
}

extract_xpak; extract_gpkg; install_synth # warm the page cache and the binhost caches
phases='' nophases='' tarx='' synth='' targ=''
for i in $(seq "$ROUNDS"); do
  timed phases install_xpak "$W/root"
  timed tarx extract_xpak
  timed nophases install_xpak "$W/root" --no-phases
  timed synth install_synth
  timed targ extract_gpkg
  echo "round $i: with phases ${phases##* } s, tar ${tarx##* } s, without phases ${nophases##* } s | synthetic GPKG ${synth##* } s, tar ${targ##* } s"
done
install_xpak "$W/root" > /dev/null
runs=$(grep -c '^=== stageforge: pkg_' "$W"/build/logs/*.log | awk -F: '{s+=$NF} END{print s}')
# shellcheck disable=SC2086 # the lists are space-separated numbers
{ p=$(min $phases); n=$(min $nophases); t=$(min $tarx); s=$(min $synth); g=$(min $targ); }
echo "== minimum of $ROUNDS rounds"
echo "two-step install with phases ($runs phase runs): $p s (target < 5 s), ratio to zstd|tar $t s: $(echo "scale=2; $p / $t" | bc) (target <= 1.6)"
echo "two-step install without phases:  $n s, ratio $(echo "scale=2; $n / $t" | bc) (target <= 1.3)"
echo "phases cost: $(echo "scale=1; ($p - $n) * 1000 / $runs" | bc) ms per phase run (target <= 30)"
echo "200 synthetic GPKGs: $s s vs $g s for their image members: ratio $(echo "scale=2; $s / $g" | bc) (target <= 1.5)"
rm -rf "$W/tar"
