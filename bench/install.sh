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
# Every timed run writes into a directory of its own and nothing is deleted until the end: on ext4 without a journal
# (this machine's root) each new inode's allocation steps over every inode freed in the last 30 s
# (dirty_expire_centisecs), so a tree deleted just before (or during) a run slowed it by several seconds, whichever
# side deleted it.
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

extract_xpak() { # DIR
  mkdir -p "$1"
  while IFS= read -r f; do
    size=$(stat -c %s "$f")
    xlen=$(tail -c 8 "$f" | head -c 4 | od -An -tu4 --endian=big | tr -d ' ')
    head -c $((size - 8 - xlen)) "$f" | zstd -dcq | tar -x -C "$1"
  done < "$W/payloads.txt"
  sync -f "$1"
}
ls "$SYNTH"/*/*/*.gpkg.tar > "$W/gpkgs.txt"
extract_gpkg() { # DIR
  mkdir -p "$1"
  while IFS= read -r f; do
    tar -xOf "$f" --wildcards '*/image.tar.zst' | zstd -dcq | tar -x -C "$1"
  done < "$W/gpkgs.txt"
  sync -f "$1"
}
install_synth() { # DIR
  # shellcheck disable=SC2046
  "$SF" install --quiet --root "$1/root" --config-root "$W/cfg" --binhost "$SYNTH" --cache-dir "$W/cache" \
    --build-dir "$1/build" $(cat "$SYNTH/targets.txt")
  sync -f "$1/root"
}
# install_xpak into DIR/root with DIR/build, then a sync like the other sides
install_in() { # DIR [ARGS...]
  local d=$1; shift
  BUILD_DIR=$d/build install_xpak "$d/root" "$@"
  sync -f "$d/root"
}
timed() { # VAR COMMAND...: appends the wall seconds of COMMAND to the list VAR
  local var=$1; shift
  local t0; t0=$(now); "$@"; local t1; t1=$(now)
  printf -v "$var" '%s %.2f' "${!var}" "$(echo "$t1 - $t0" | bc)"
}

extract_xpak "$W/warm/tar"; extract_gpkg "$W/warm/gpkg"; install_synth "$W/warm/synth" # page cache, binhost caches
rm -rf "$W/warm"
sleep 31 # past dirty_expire_centisecs: the inodes just freed no longer slow allocation (see above)
phases='' nophases='' tarx='' synth='' targ=''
for i in $(seq "$ROUNDS"); do
  timed phases install_in "$W/runs/$i/phases"
  timed tarx extract_xpak "$W/runs/$i/tar"
  timed nophases install_in "$W/runs/$i/nophases" --no-phases
  timed synth install_synth "$W/runs/$i/synth"
  timed targ extract_gpkg "$W/runs/$i/gpkg"
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
rm -rf "$W/runs"
