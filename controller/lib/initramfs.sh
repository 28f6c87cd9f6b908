# shellcheck shell=sh
# The initramfs half (boot --initramfs): mount the state partition, mount the chosen slot read-only at
# NEWROOT, make the configured directories tmpfs (/etc as a tmpfs copy with the configuration files
# applied, then the fleet's configuration bundle laid over each tmpfs directory), and hand over to the real init.

initramfs_mount_state() {
    [ -n "$C_state_device" ] || return 0
    mkdir -p "$C_state_dir"
    mount "$C_state_device" "$C_state_dir" || die 1 "cannot mount the state device $C_state_device on $C_state_dir"
}

# initramfs_network: with network = dhcp and a server, every interface but lo asks for a DHCP lease (busybox
# udhcpc with the controller's event script, a few tries); without one the boot goes on with what is installed.
initramfs_network() {
    [ "$C_network" = dhcp ] && [ -n "$C_server" ] || return 0
    ip link set lo up 2>/dev/null
    for _n_path in /sys/class/net/*; do
        _n_if=${_n_path##*/}
        [ "$_n_if" = lo ] || [ ! -e "$_n_path" ] && continue
        ip link set "$_n_if" up 2>/dev/null
        if udhcpc -i "$_n_if" -f -q -n -t 5 -T 2 -s "$SF_HOME/udhcpc.script" >"$SF_TMP/udhcpc.out" 2>&1; then
            info "network: $_n_if has $(ip -4 -o addr show dev "$_n_if" | sed -n 's/.* inet \([^ ]*\).*/\1/p' | head -n 1)"
        else
            warn "network: no DHCP lease on $_n_if: $(tail -n 1 "$SF_TMP/udhcpc.out")"
        fi
    done
}

initramfs_mount_root() {
    _i_dev=$(slot_path "$1")
    mkdir -p "$C_newroot"
    if [ -b "$_i_dev" ]; then
        mount -o ro "$_i_dev" "$C_newroot"
    else
        mount -o loop,ro "$_i_dev" "$C_newroot"
    fi || die 1 "cannot mount slot $1 ($_i_dev) on $C_newroot"
    info "slot $1 ($_i_dev) mounted read-only on $C_newroot"
}

# etc_populate FROM TO FILES: the new /etc is the image's /etc with the configuration files laid over it.
etc_populate() {
    cp -a "$1/." "$2/" || return 1
    if [ -n "$3" ] && [ -d "$3" ]; then
        cp -a "$3/." "$2/" || return 1
        info "configuration files from $3 applied to /etc"
    fi
}

# tmpfs_dirs: the tmpfs list, each an absolute path without '..'.
tmpfs_dirs() {
    for _t_d in $C_tmpfs; do
        case $_t_d in
            /*/../* | */.. | /..* | *//*) die 3 "configuration: bad tmpfs directory '$_t_d'" ;;
            /?*) echo "$_t_d" ;;
            *) die 3 "configuration: tmpfs directory '$_t_d' is not absolute" ;;
        esac
    done
}

initramfs_stateless() {
    for _t_d in $(tmpfs_dirs); do
        _t_target=$C_newroot$_t_d
        if [ "$_t_d" = /etc ]; then
            _t_stage=$SF_TMP/etc
            mkdir -p "$_t_stage"
            cp -a "$_t_target/." "$_t_stage/" || die 1 "cannot copy $_t_target"
            mount -t tmpfs -o mode=0755 tmpfs "$_t_target" || die 1 "cannot mount a tmpfs on $_t_target"
            etc_populate "$_t_stage" "$_t_target" "$C_config_files" || die 1 "cannot populate $_t_target"
            rm -rf "$_t_stage"
        else
            mount -t tmpfs -o mode=0755 tmpfs "$_t_target" || die 1 "cannot mount a tmpfs on $_t_target"
        fi
        # the fleet's files last: they win over the image's and config_files
        bundle_overlay "$_t_d" "$_t_target" || die 1 "cannot apply the fleet configuration to $_t_target"
        info "tmpfs on $_t_d"
    done
}

# initramfs_handover: moves the kernel file systems (and /run with the state) into the new root and
# executes its init; with handover=none the caller (dracut) does this itself. switch_root must run as PID 1:
# stageforge's /init execs the controller.
initramfs_handover() {
    [ "$C_handover" = none ] && return 0
    # read before /proc moves away
    _o_mounts=$(cut -d ' ' -f 2 /proc/mounts)
    for _o_d in /dev /proc /sys /run; do
        if [ -d "$C_newroot$_o_d" ] && printf '%s\n' "$_o_mounts" | grep -qx "$_o_d"; then
            mount --move "$_o_d" "$C_newroot$_o_d" || warn "cannot move $_o_d into the new root"
        fi
    done
    exec switch_root "$C_newroot" "$C_init"
}
