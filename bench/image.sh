#!/usr/bin/env bash
# `stageforge pack ROOT -o X.squashfs` / `-o X.erofs` (org.stageforge.image.RootImage: the file table's view of the
# root as a fakeroot state file, the tool run under fakeroot) against `mksquashfs` / `mkfs.erofs` run directly on the
# same tree with the same options (which then records the disk's owners, modes and no devices or capabilities). The
# root: the two-step install of the dependency-closed fixture packages (see bench/install.sh), without phases. From
# the built jar (offline; mvn -q -DskipTests package first). Rounds alternate the commands; each figure is the
# minimum over the rounds, JVM start included. Goal: overhead <= 15 % (ratio <= 1.15).
# Usage: bench/image.sh [ROUNDS] [FIXTURES_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_init image-bench 5 "$@"
mkdir -p "$W/out"
install_xpak "$W/root" --no-phases
echo "== root: $(find "$W/root" | wc -l) paths, $(du -sm "$W/root" | cut -f1) MiB, file table $(wc -l < "$W/root/var/lib/stageforge/files.tsv") lines"

SDE=1700000000
UUID=c7fdca34-f930-3187-9a2d-1a80bd500cf0
sq_sf=() sq_raw=() er_sf=() er_raw=()
for i in $(seq "$ROUNDS"); do
  rm -f "$W"/out/*
  t0=$(now); "$SF" pack "$W/root" -o "$W/out/root.squashfs" --source-date-epoch $SDE > /dev/null; t1=$(now)
  SOURCE_DATE_EPOCH=$SDE mksquashfs "$W/root" "$W/out/raw.squashfs" -noappend -no-progress -quiet -comp zstd \
    -e var/lib/stageforge > /dev/null; t2=$(now)
  "$SF" pack "$W/root" -o "$W/out/root.erofs" --source-date-epoch $SDE > /dev/null; t3=$(now)
  SOURCE_DATE_EPOCH=$SDE mkfs.erofs --quiet -zlz4hc -U$UUID --exclude-path=var/lib/stageforge "$W/out/raw.erofs" "$W/root" > /dev/null
  t4=$(now)
  sq_sf+=("$(echo "$t1 - $t0" | bc)"); sq_raw+=("$(echo "$t2 - $t1" | bc)")
  er_sf+=("$(echo "$t3 - $t2" | bc)"); er_raw+=("$(echo "$t4 - $t3" | bc)")
  echo "round $i: squashfs: stageforge ${sq_sf[-1]} s, mksquashfs ${sq_raw[-1]} s; erofs: stageforge ${er_sf[-1]} s, mkfs.erofs ${er_raw[-1]} s"
done
a=$(min "${sq_sf[@]}"); b=$(min "${sq_raw[@]}"); c=$(min "${er_sf[@]}"); d=$(min "${er_raw[@]}")
echo "== minimum of $ROUNDS: squashfs: stageforge pack $a s, mksquashfs $b s: ratio $(echo "scale=3; $a / $b" | bc) (goal <= 1.15)"
echo "== minimum of $ROUNDS: erofs: stageforge pack $c s, mkfs.erofs $d s: ratio $(echo "scale=3; $c / $d" | bc) (goal <= 1.15)"
