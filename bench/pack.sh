#!/usr/bin/env bash
# `stageforge pack ROOT -o X.tar.zst` against `tar --sort=name --numeric-owner -c | zstd -T2` at the same level
# (Compression.ZSTD_LEVEL, 3) of the same root: the two-step install of the dependency-closed fixture packages (see
# bench/install.sh), without phases. From the built jar (offline; mvn -q -DskipTests package first). Rounds
# alternate the two; each figure is the minimum over the rounds, JVM start included. Target <= 1.1x.
# Usage: bench/pack.sh [ROUNDS] [FIXTURES_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_init pack-bench 5 "$@"
mkdir -p "$W/out"
install_xpak "$W/root" --no-phases
echo "== root: $(find "$W/root" | wc -l) paths, $(du -sm "$W/root" | cut -f1) MiB"

sf=() sh=()
for i in $(seq "$ROUNDS"); do
  rm -f "$W"/out/*
  t0=$(now); "$SF" pack "$W/root" -o "$W/out/root.tar.zst" --source-date-epoch 1700000000 > /dev/null; t1=$(now)
  tar -C "$W/root" --sort=name --numeric-owner --exclude=./var/lib/stageforge -c . | zstd -q -T2 -3 > "$W/out/tar.tar.zst"
  t2=$(now)
  sf+=("$(echo "$t1 - $t0" | bc)"); sh+=("$(echo "$t2 - $t1" | bc)")
  echo "round $i: stageforge pack ${sf[-1]} s ($(stat -c %s "$W/out/root.tar.zst") bytes), tar | zstd -T2 -3 ${sh[-1]} s ($(stat -c %s "$W/out/tar.tar.zst") bytes)"
done
a=$(min "${sf[@]}"); b=$(min "${sh[@]}")
echo "== minimum of $ROUNDS: stageforge pack $a s, tar | zstd $b s: ratio $(echo "scale=2; $a / $b" | bc) (target <= 1.1)"
