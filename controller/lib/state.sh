# shellcheck shell=sh
# The state directory: one state file (every decision in one atomic rename), the health markers, the log.
#
# state keys: active (A, B or none), backup (the slot that last completed a healthy cycle, or none),
# boots (cycles started), cycle / cycle_slot / cycle_version / cycle_started (the running cycle),
# evaluated (the last cycle whose health was judged), last_health, last_health_version (the version that cycle ran), last_boot_seconds (from the cycle's
# start to its healthy marker), deprived_versions (space separated), config_version (the fleet configuration
# bundle in force, kept in config/VERSION/),
# and per slot (a_ / b_): status (empty, writing, ready, good, bad, deprived), version, image, sha256,
# size, attempts.

SF_STATE_KEYS='active backup boots cycle cycle_slot cycle_version cycle_started evaluated last_health last_health_version last_boot_seconds deprived_versions config_version a_status a_version a_image a_sha256 a_size a_attempts b_status b_version b_image b_sha256 b_size b_attempts'

state_defaults() {
    S_active=none
    S_backup=none
    S_boots=0
    S_cycle=0
    S_cycle_slot=none
    S_cycle_version=''
    S_cycle_started=0
    S_evaluated=0
    S_last_health=none
    S_last_health_version=''
    S_last_boot_seconds=''
    S_deprived_versions=''
    S_config_version=''
    for _s_p in a b; do
        eval "S_${_s_p}_status=empty S_${_s_p}_version='' S_${_s_p}_image='' S_${_s_p}_sha256='' S_${_s_p}_size=0 S_${_s_p}_attempts=0"
    done
}

state_init() {
    SF_STATE=$C_state_dir/state
    mkdir -p "$C_state_dir" || die 1 "cannot create the state directory $C_state_dir"
    SF_LOG=$C_state_dir/controller.log
    # keep the log bounded: one older generation
    if [ -f "$SF_LOG" ] && [ "$(wc -c <"$SF_LOG")" -gt 1048576 ]; then
        mv -f "$SF_LOG" "$SF_LOG.1"
    fi
    state_defaults
    if [ -f "$SF_STATE" ]; then
        kv_load "$SF_STATE" S_ || die 3 "state file $SF_STATE is damaged"
    fi
}

state_save() {
    for _s_key in $SF_STATE_KEYS; do
        eval "printf '%s=%s\n' \"\$_s_key\" \"\$S_$_s_key\""
    done | atomic_write "$SF_STATE" || die 1 "cannot write $SF_STATE"
}

# slot_get SLOT FIELD / slot_set SLOT FIELD VALUE (SLOT is A or B)
slot_get() {
    _sg_p=$(printf '%s' "$1" | tr AB ab)
    eval "printf '%s' \"\$S_${_sg_p}_$2\""
}

slot_set() {
    _ss_p=$(printf '%s' "$1" | tr AB ab)
    eval "S_${_ss_p}_$2=\$3"
}

slot_path() {
    case $1 in
        A) printf '%s' "$C_slot_a" ;;
        B) printf '%s' "$C_slot_b" ;;
    esac
}

other_slot() {
    case $1 in
        A) echo B ;;
        *) echo A ;;
    esac
}

# A slot that holds a verified image which may be booted.
slot_bootable() {
    case $(slot_get "$1" status) in
        ready | good) return 0 ;;
    esac
    return 1
}

version_deprived() {
    case " $S_deprived_versions " in
        *" $1 "*) return 0 ;;
    esac
    return 1
}
