#!/usr/bin/env bash
# `stageforge pack ROOT -o X.tar.zst` against `tar --sort=name --numeric-owner -c | zstd -T2` at the same level
# (Compression.ZSTD_LEVEL, 3) of the same root: the two-step install of the dependency-closed fixture packages (see
# bench/install.sh), without phases. From the built jar (offline; mvn -q -DskipTests package first). Rounds
# alternate the two; each figure is the minimum over the rounds, JVM start included. Target <= 1.1x.
# Usage: bench/pack.sh [ROUNDS] [FIXTURES_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
FIX=$(realpath "${2:-../shared/fixtures}")
SF=${STAGEFORGE:-$PWD/bin/stageforge} # another build to compare: STAGEFORGE=/path/to/bin/stageforge
[ -n "${STAGEFORGE:-}" ] || [ -f target/stageforge.jar ] || { echo "build the jar first: mvn -q -DskipTests package" >&2; exit 1; }
W=$(realpath -m target/pack-bench)
rm -rf "$W" && mkdir -p "$W/out"
XPAK=$FIX/binhost-xpak-amd64

case_dir=$FIX/portage-expected/install/phases
mkdir -p "$W/cfg/etc/portage"
for f in "$case_dir"/config-root/etc/portage/*; do
  [ "$(basename "$f")" = make.profile.target ] || cp "$f" "$W/cfg/etc/portage/"
done
ln -s "$FIX/portage-expected/install/profile-repo/$(cat "$case_dir/config-root/etc/portage/make.profile.target")" \
  "$W/cfg/etc/portage/make.profile"
printf '[DEFAULT]\nmain-repo = gentoo\n\n[gentoo]\nlocation = %s\n' "$FIX/portage-expected/install/profile-repo" \
  > "$W/cfg/etc/portage/repos.conf"
USE=build "$SF" install --quiet --root "$W/root" --config-root "$W/cfg" --binhost "$XPAK" --cache-dir "$W/cache" \
  --no-phases --binpkg-respect-use=y sys-apps/baselayout
# shellcheck disable=SC2046
"$SF" install --quiet --root "$W/root" --config-root "$W/cfg" --binhost "$XPAK" --cache-dir "$W/cache" --no-phases \
  --noreplace $(cat bench/xpak-closed-targets.txt)
echo "== root: $(find "$W/root" | wc -l) paths, $(du -sm "$W/root" | cut -f1) MiB"

now() { date +%s.%N; }
sf=() sh=()
for i in $(seq "$ROUNDS"); do
  rm -f "$W"/out/*
  t0=$(now); "$SF" pack "$W/root" -o "$W/out/root.tar.zst" --source-date-epoch 1700000000 > /dev/null; t1=$(now)
  tar -C "$W/root" --sort=name --numeric-owner --exclude=./var/lib/stageforge -c . | zstd -q -T2 -3 > "$W/out/tar.tar.zst"
  t2=$(now)
  sf+=("$(echo "$t1 - $t0" | bc)"); sh+=("$(echo "$t2 - $t1" | bc)")
  echo "round $i: stageforge pack ${sf[-1]} s ($(stat -c %s "$W/out/root.tar.zst") bytes), tar | zstd -T2 -3 ${sh[-1]} s ($(stat -c %s "$W/out/tar.tar.zst") bytes)"
done
a=$(printf '%s\n' "${sf[@]}" | sort -n | head -1); b=$(printf '%s\n' "${sh[@]}" | sort -n | head -1)
echo "== minimum of $ROUNDS: stageforge pack $a s, tar | zstd $b s: ratio $(echo "scale=2; $a / $b" | bc) (target <= 1.1)"
