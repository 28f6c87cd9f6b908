# shellcheck shell=bash disable=SC2034
# Sourced by the bench scripts, from the project directory: the stageforge under test, the fixture configuration
# root and the 88-package root the merge, pack and image benchmarks measure on. Not a script of its own.

# bench_init NAME DEFAULT_ROUNDS [ROUNDS] [FIXTURES_DIR]: sets ROUNDS, FIX, SF (STAGEFORGE=/path/to/bin/stageforge
# measures another build) and W=target/NAME, emptied.
bench_init() {
  W=$(realpath -m "target/$1")
  ROUNDS=${3:-$2}
  FIX=$(realpath "${4:-../shared/fixtures}")
  SF=${STAGEFORGE:-$PWD/bin/stageforge}
  [ -n "${STAGEFORGE:-}" ] || [ -f target/stageforge.jar ] || { echo "build the jar first: mvn -q -DskipTests package" >&2; exit 1; }
  XPAK=$FIX/binhost-xpak-amd64
  rm -rf "$W" && mkdir -p "$W"
  # the config root Portage made the fixture roots with (portage-expected/install/phases)
  local case_dir=$FIX/portage-expected/install/phases f
  mkdir -p "$W/cfg/etc/portage"
  for f in "$case_dir"/config-root/etc/portage/*; do
    [ "$(basename "$f")" = make.profile.target ] || cp "$f" "$W/cfg/etc/portage/"
  done
  ln -s "$FIX/portage-expected/install/profile-repo/$(cat "$case_dir/config-root/etc/portage/make.profile.target")" \
    "$W/cfg/etc/portage/make.profile"
  printf '[DEFAULT]\nmain-repo = gentoo\n\n[gentoo]\nlocation = %s\n' "$FIX/portage-expected/install/profile-repo" \
    > "$W/cfg/etc/portage/repos.conf"
}

# install_xpak ROOT [ARGS...]: the two-step install of the fixture README into an empty ROOT: `USE=build stageforge
# install sys-apps/baselayout`, then `--noreplace` of bench/xpak-closed-targets.txt (every package of the XPAK
# binhost that has a file and whose dependencies all have one; the rest need perl, python, glibc, systemd...).
# BUILD_DIR (default $W/build) is the build directory, emptied first.
install_xpak() {
  local root=$1 build=${BUILD_DIR:-$W/build}; shift
  rm -rf "$root" "$build"
  USE=build "$SF" install --quiet --root "$root" --config-root "$W/cfg" --binhost "$XPAK" --cache-dir "$W/cache" \
    --build-dir "$build" --binpkg-respect-use=y "$@" sys-apps/baselayout
  # shellcheck disable=SC2046
  "$SF" install --quiet --root "$root" --config-root "$W/cfg" --binhost "$XPAK" --cache-dir "$W/cache" \
    --build-dir "$build" "$@" --noreplace $(cat bench/xpak-closed-targets.txt)
}

now() { date +%s.%N; }
# min X...: the smallest number
min() { printf '%s\n' "$@" | grep . | sort -n | head -1; }
