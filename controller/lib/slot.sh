# shellcheck shell=sh
# Writing a release into a slot (an image file or a block device). The slot is marked 'writing' (not
# bootable) before its first byte changes and 'ready' only after the written bytes, read back from the
# slot after a flush, match the signed sha256: a power loss at any point leaves the active slot as it was.

# slot_write SLOT: downloads R_url into SLOT; non-zero (logged, slot marked bad) on any failure.
slot_write() {
    _w_slot=$1
    _w_dst=$(slot_path "$_w_slot")
    slot_set "$_w_slot" status writing
    slot_set "$_w_slot" version "$R_version"
    slot_set "$_w_slot" image "$R_image"
    slot_set "$_w_slot" sha256 "$R_sha256"
    slot_set "$_w_slot" size 0
    slot_set "$_w_slot" attempts 0
    [ "$S_backup" = "$_w_slot" ] && S_backup=none
    state_save
    info "writing $R_image (version $R_version) into slot $_w_slot ($_w_dst)"
    rm -f "$SF_TMP/fetch.rc"
    { fetch "$R_url" - "$C_download_timeout" || echo "$?" >"$SF_TMP/fetch.rc"; } | tee "$_w_dst" | wc -c >"$SF_TMP/size"
    sync "$_w_dst" 2>/dev/null || sync
    _w_size=$(tr -d ' ' <"$SF_TMP/size")
    if [ -f "$SF_TMP/fetch.rc" ]; then
        error "download of $R_url failed after $_w_size bytes (exit $(cat "$SF_TMP/fetch.rc")); slot $_w_slot not usable"
        slot_set "$_w_slot" status bad
        state_save
        return 1
    fi
    _w_got=$(sha256_of "$_w_dst" "$_w_size")
    if [ "$_w_got" != "$R_sha256" ]; then
        error "slot $_w_slot: the written image ($_w_size bytes) has sha256 $_w_got, the signed list says $R_sha256; slot $_w_slot not usable"
        slot_set "$_w_slot" status bad
        state_save
        return 1
    fi
    slot_set "$_w_slot" size "$_w_size"
    slot_set "$_w_slot" status ready
    state_save
    info "slot $_w_slot: $_w_size bytes written, flushed and verified (sha256 $R_sha256)"
}

# slot_holds SLOT: whether SLOT already holds the served image, checked against its bytes.
slot_holds() {
    slot_bootable "$1" || return 1
    [ "$(slot_get "$1" sha256)" = "$R_sha256" ] || return 1
    [ "$(sha256_of "$(slot_path "$1")" "$(slot_get "$1" size)")" = "$R_sha256" ]
}
