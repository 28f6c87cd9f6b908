# shellcheck shell=sh
# Health: a cycle is one boot of one slot; it is healthy when the booted system wrote both markers
# (mark-healthy late in boot, shutdown-ok at a clean shutdown) carrying that cycle's number.

# marker_write NAME: the mark-healthy and shutdown-ok commands.
marker_write() {
    [ "$S_cycle" -gt 0 ] || die 1 "no boot cycle recorded in $SF_STATE: the controller did not boot this system"
    printf '%s %s\n' "$S_cycle" "$(now_epoch)" | atomic_write "$C_state_dir/$1" || die 1 "cannot write $C_state_dir/$1"
    info "cycle $S_cycle (slot $S_cycle_slot, version $S_cycle_version): $1 marker written"
}

# health_evaluate: judges the last cycle once; a healthy one resets the slot's attempts and makes it the
# backup, an unhealthy one counts an attempt and deprives the slot at the limit.
health_evaluate() {
    if [ "$S_cycle" -le "$S_evaluated" ]; then
        info "no boot cycle to judge"
        return 0
    fi
    _h_slot=$S_cycle_slot
    _h_missing=''
    _h_hc='' _h_ht='' _h_sc=''
    [ -f "$C_state_dir/healthy" ] && read -r _h_hc _h_ht <"$C_state_dir/healthy"
    [ -f "$C_state_dir/shutdown-ok" ] && read -r _h_sc _ <"$C_state_dir/shutdown-ok"
    [ "$_h_hc" = "$S_cycle" ] || _h_missing='no healthy marker'
    [ "$_h_sc" = "$S_cycle" ] || _h_missing="${_h_missing:+$_h_missing, }no clean-shutdown marker"
    # seconds from the controller's decision to the booted system's healthy marker
    if [ "$_h_hc" = "$S_cycle" ] && [ -n "$_h_ht" ] && [ -z "$(printf '%s' "$_h_ht" | tr -d 0-9)" ]; then
        S_last_boot_seconds=$((_h_ht - S_cycle_started))
    else
        S_last_boot_seconds=''
    fi
    S_evaluated=$S_cycle
    S_last_health_version=$S_cycle_version
    if [ -z "$_h_missing" ]; then
        S_last_health=healthy
        slot_set "$_h_slot" attempts 0
        slot_set "$_h_slot" status good
        S_backup=$_h_slot
        info "last cycle $S_cycle on slot $_h_slot (version $S_cycle_version) was healthy; slot $_h_slot is the backup"
        return 0
    fi
    _h_att=$(($(slot_get "$_h_slot" attempts) + 1))
    slot_set "$_h_slot" attempts "$_h_att"
    S_last_health="unhealthy: $_h_missing (cycle $S_cycle, slot $_h_slot, version $S_cycle_version, attempt $_h_att of $C_attempt_limit)"
    warn "last cycle $S_last_health"
    if [ "$_h_att" -ge "$C_attempt_limit" ]; then
        slot_set "$_h_slot" status deprived
        version_deprived "$S_cycle_version" || S_deprived_versions="${S_deprived_versions:+$S_deprived_versions }$S_cycle_version"
        error "slot $_h_slot (version $S_cycle_version) DEPRIVED after $_h_att unhealthy cycles"
    fi
}

# choose_current: the slot to boot before any update; a deprived active slot gives way to the backup.
choose_current() {
    SF_FALLBACK=''
    [ "$S_active" = none ] && return 0
    [ "$(slot_get "$S_active" status)" = deprived ] || return 0
    if [ "$S_backup" != none ] && [ "$S_backup" != "$S_active" ] && slot_bootable "$S_backup"; then
        SF_FALLBACK="slot $S_active (version $(slot_get "$S_active" version)) deprived; falling back to backup slot $S_backup (version $(slot_get "$S_backup" version))"
        warn "$SF_FALLBACK"
        S_active=$S_backup
    else
        error "slot $S_active is deprived and there is no healthy backup slot; booting it anyway"
    fi
}
