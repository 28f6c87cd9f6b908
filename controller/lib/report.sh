# shellcheck shell=sh
# The health report: kept as STATE_DIR/report.json and POSTed to SERVER/fleet/machines/ID/health with the
# machine token when the server answered. A failed POST is logged and never blocks the boot.

json_str() {
    printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

report_write() {
    _p_errors=''
    _p_old_ifs=$IFS
    IFS='
'
    for _p_e in $SF_ERRORS; do
        _p_errors="${_p_errors:+$_p_errors,}$(json_str "$_p_e")"
    done
    IFS=$_p_old_ifs
    {
        printf '{"machine":%s,' "$(json_str "$C_machine_id")"
        printf '"channel":%s,' "$(json_str "$C_channel")"
        printf '"slot":%s,' "$(json_str "$S_active")"
        printf '"version":%s,' "$(json_str "$(slot_get "$S_active" version 2>/dev/null)")"
        printf '"backup":%s,' "$(json_str "$S_backup")"
        printf '"cycle":%s,' "$S_cycle"
        printf '"boot_time":%s,' "$S_cycle_started"
        printf '"last_cycle":%s,' "$(json_str "$S_last_health")"
        printf '"last_cycle_version":%s,' "$(json_str "$S_last_health_version")"
        printf '"last_boot_seconds":%s,' "${S_last_boot_seconds:-null}"
        printf '"fallback":%s,' "$(json_str "$SF_FALLBACK")"
        printf '"config_version":%s,' "$(json_str "$S_config_version")"
        printf '"errors":[%s]}\n' "$_p_errors"
    } | atomic_write "$C_state_dir/report.json"
}

report_send() {
    report_write || warn "cannot write $C_state_dir/report.json"
    if [ "$SF_NET" != up ]; then
        info "server not reachable; health report kept in $C_state_dir/report.json"
        return 0
    fi
    if [ -z "$C_machine_id" ]; then
        info "no machine_id configured; health report not sent"
        return 0
    fi
    _p_url=$C_server/fleet/machines/$C_machine_id/health
    if post_json "$_p_url" "$C_state_dir/report.json" 2>"$SF_TMP/post.err"; then
        info "health report sent to $_p_url"
    else
        warn "health report to $_p_url failed: $(tr '\n' ' ' <"$SF_TMP/post.err")"
    fi
}
