#!/bin/sh
# Unit tests of the controller's shell functions, run by ControllerShellTest under busybox sh:
#   STAGEFORGE_CONTROLLER_LIB=controller/lib busybox sh controller/test/lib_test.sh WORKDIR
# Prints "ok"/"not ok" lines (TAP); exits 1 when any failed. WORKDIR/dotdot.tar is a tar whose entry climbs out.
# kv_load assigns through eval; literal '$(...)' strings are the point of some checks:
# shellcheck disable=SC2154,SC2016

SF_HOME=${STAGEFORGE_CONTROLLER_LIB:?set STAGEFORGE_CONTROLLER_LIB to the lib directory}
W=${1:?usage: lib_test.sh WORKDIR}
# shellcheck source=../lib/common.sh
. "$SF_HOME/common.sh"
# shellcheck source=../lib/config.sh
. "$SF_HOME/config.sh"
# shellcheck source=../lib/state.sh
. "$SF_HOME/state.sh"
# shellcheck source=../lib/health.sh
. "$SF_HOME/health.sh"
# shellcheck source=../lib/fetch.sh
. "$SF_HOME/fetch.sh"
# shellcheck source=../lib/release.sh
. "$SF_HOME/release.sh"
# shellcheck source=../lib/slot.sh
. "$SF_HOME/slot.sh"
# shellcheck source=../lib/bundle.sh
. "$SF_HOME/bundle.sh"
# shellcheck source=../lib/report.sh
. "$SF_HOME/report.sh"
# shellcheck source=../lib/initramfs.sh
. "$SF_HOME/initramfs.sh"

T_N=0
T_FAILED=0
check() {
    T_N=$((T_N + 1))
    if [ "$2" = "$3" ]; then
        echo "ok $T_N - $1"
    else
        echo "not ok $T_N - $1: expected '$3', got '$2'"
        T_FAILED=1
    fi
}

# kv_load: literal values (never evaluated), quotes, comments, "key = value"
cat >"$W/kv" <<'KV'
# comment
alpha = one two
beta="$(touch pwned)"

gamma=a=b
KV
kv_load "$W/kv" X_
check "kv spaces around =" "$X_alpha" "one two"
check "kv value not evaluated" "$X_beta" '$(touch pwned)'
check "kv value with =" "$X_gamma" "a=b"
check "kv nothing executed" "$(find "$W" -name pwned | wc -l)" 0
printf 'no equals sign\n' >"$W/bad"
check "kv line without =" "$(kv_load "$W/bad" Y_ 2>&1; echo "rc=$?")" "stageforge-controller: error: $W/bad:1: not a key=value line
rc=1"
printf 'Bad-Key=1\n' >"$W/bad"
check "kv bad key" "$(kv_load "$W/bad" Y_ 2>/dev/null; echo "rc=$?")" "rc=1"

# configuration: a config.d directory in name order, then the kernel command line
mkdir -p "$W/config.d"
printf 'slot_a = /dev/a\nslot_b = /dev/b\nstate_dir = /s\nchannel = stable\n' >"$W/config.d/10-base.conf"
printf 'channel = testing\nattempt_limit = 5\n' >"$W/config.d/20-site.conf"
printf 'ignored = 1\n' >"$W/config.d/30-notes.txt"
printf 'ro quiet stageforge.channel=canary stageforge.slot_b=/dev/vdb2 stageforge.nonsense=1 other=2\n' >"$W/cmdline"
config_load "$W/config.d" "$W/cmdline" 2>"$W/warn"
check "config.d later file wins" "$C_attempt_limit" 5
check "cmdline overrides" "$C_channel/$C_slot_b" "canary//dev/vdb2"
check "defaults" "$C_image_pattern/$C_tmpfs" "*.root.erofs//etc /var/log /tmp"
check "unknown cmdline key warned" "$(cat "$W/warn")" "stageforge-controller: warning: kernel command line: unknown key stageforge.nonsense ignored"
check "bad attempt_limit" "$( (config_load "$W/config.d" /dev/null; C_attempt_limit=x; config_check) 2>&1 | tail -n 1)" \
    "stageforge-controller: error: configuration: attempt_limit must be a positive number, not 'x'"
check "network default and choice" "$C_network/$( (config_load "$W/config.d" /dev/null; C_network=dhcp; config_check; echo "$C_network") 2>&1)" "none/dhcp"
check "bad network" "$( (config_load "$W/config.d" /dev/null; C_network=wifi; config_check) 2>&1; echo "rc=$?")" \
    "stageforge-controller: error: configuration: network must be none or dhcp, not 'wifi'
rc=3"
printf 'stageforge.machine_id=../../x\n' >"$W/cmdline"
check "hostile machine_id" "$( (config_load "$W/config.d" "$W/cmdline") 2>&1; echo "rc=$?")" \
    "stageforge-controller: error: configuration: bad machine_id '../../x'
rc=3"

# release_pick: the one entry matching the pattern, its version, refusals
SF_LOG=''
C_image_pattern='*.root.erofs'
H=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
printf '%s  os_2026.12.03-r1.root.erofs\n%s *os_2026.12.03-r1.tar.zst\n' "$H" "$H" >"$W/sums"
release_pick "$W/sums" 2>/dev/null
check "pick image and version" "$R_image $R_version" "os_2026.12.03-r1.root.erofs 2026.12.03-r1"
C_image_pattern='*.root.squashfs'
printf '%s *my_os_7.root.squashfs\n' "$H" >"$W/sums"
release_pick "$W/sums" 2>/dev/null
check "version after the last _" "$R_version" 7
printf '%s  a_1.root.squashfs\n%s  b_1.root.squashfs\n' "$H" "$H" >"$W/sums"
check "ambiguous list refused" "$(release_pick "$W/sums" 2>/dev/null; echo "rc=$?")" "rc=1"
printf '%s  ../../etc/x_1.root.squashfs\n' "$H" >"$W/sums"
check "unsafe name refused" "$(release_pick "$W/sums" 2>&1 | grep -c unsafe)" 1
printf '%s  x_1.root.squashfs\n' "0123" >"$W/sums"
check "malformed sha256 refused" "$(release_pick "$W/sums" 2>&1 | grep -c malformed)" 1
printf '%s  x_1.root.erofs\n' "$H" >"$W/sums"
check "nothing matching refused" "$(release_pick "$W/sums" 2>&1 | grep -c "0 entries")" 1

# json strings: quotes, backslashes, control characters
T_TAB=$(printf '\t')
T_RAW="a\"b\\c${T_TAB}d"
check "json escaping" "$(json_str "$T_RAW")" '"a\"b\\cd"'

# etc_populate on a fake root: the image's /etc, with the configuration files laid over it
mkdir -p "$W/root/etc/conf.d" "$W/files/conf.d" "$W/newetc"
printf 'image\n' >"$W/root/etc/hostname"
printf 'image\n' >"$W/root/etc/conf.d/net"
printf 'keep\n' >"$W/root/etc/fstab"
printf 'fleet\n' >"$W/files/hostname"
printf 'fleet\n' >"$W/files/conf.d/extra"
etc_populate "$W/root/etc" "$W/newetc" "$W/files" 2>/dev/null
check "etc: configuration file wins" "$(cat "$W/newetc/hostname")" fleet
check "etc: image file kept" "$(cat "$W/newetc/fstab") $(cat "$W/newetc/conf.d/net")" "keep image"
check "etc: new file added" "$(cat "$W/newetc/conf.d/extra")" fleet
check "etc: image untouched" "$(cat "$W/root/etc/hostname")" image

# the fleet's bundle: only plain relative files pass; its etc/ goes over the new /etc, last
SF_TMP=$W/tmp
mkdir -p "$SF_TMP" "$W/b/etc/conf.d" "$W/b/var/lib"
printf 'bundle\n' >"$W/b/etc/hostname"
printf 'bundle\n' >"$W/b/etc/conf.d/extra"
printf 'state\n' >"$W/b/var/lib/x"
(cd "$W/b" && tar -cf "$W/good.tar" etc var)
check "bundle: plain files pass" "$(bundle_check "$W/good.tar"; echo "rc=$?")" "rc=0"
ln -s etc/hostname "$W/b/link"
(cd "$W/b" && tar -cf "$W/link.tar" etc link)
check "bundle: symlink refused" "$(bundle_check "$W/link.tar" 2>&1 | grep -c 'not a file or directory')" 1
# busybox tar cannot make it: ControllerShellTest writes WORKDIR/dotdot.tar (one entry etc/../../x); busybox tar
# strips the climb itself, GNU tar lists it and bundle_check refuses it: either way nothing lands outside
mkdir -p "$W/unpack/in"
{ bundle_check "$W/dotdot.tar" && tar -xf "$W/dotdot.tar" -C "$W/unpack/in"; } 2>/dev/null
check "bundle: .. stays inside" "$(ls "$W/unpack")" "in"
C_state_dir=$W/st
S_config_version=3.1
mkdir -p "$C_state_dir/config/3.1/files"
tar -xf "$W/good.tar" -C "$C_state_dir/config/3.1/files"
bundle_overlay /etc "$W/newetc" 2>/dev/null
check "bundle: wins over config_files" "$(cat "$W/newetc/hostname") $(cat "$W/newetc/conf.d/extra") $(cat "$W/newetc/fstab")" "bundle bundle keep"
check "bundle: nothing for /tmp" "$(bundle_overlay /tmp "$W/nothere"; echo "rc=$?")" "rc=0"
S_config_version=''
check "bundle: none in force" "$(bundle_dir; echo "rc=$?")" "rc=1"

# tmpfs list: absolute paths only, no ..
C_tmpfs='/etc /var/log'
check "tmpfs list" "$(tmpfs_dirs | tr '\n' ' ')" "/etc /var/log "
C_tmpfs='/var/../../x'
check "tmpfs .. refused" "$( (tmpfs_dirs) 2>&1; echo "rc=$?")" "stageforge-controller: error: configuration: bad tmpfs directory '/var/../../x'
rc=3"
C_tmpfs='var/log'
check "tmpfs relative refused" "$( (tmpfs_dirs) 2>/dev/null; echo "rc=$?")" "rc=3"

# state: slot fields, the other slot
state_defaults
slot_set B version 9
check "slot fields" "$(slot_get B version)/$(slot_get A status)/$(other_slot A)/$(other_slot none)" "9/empty/B/A"

echo "1..$T_N"
exit "$T_FAILED"
