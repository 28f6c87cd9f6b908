# shellcheck shell=sh
# The channel's signed list: SERVER/releases/CHANNEL/SHA256SUMS and its detached signature SHA256SUMS.gpg,
# checked with gpgv against the configured keyring before any of it is believed. With release_source = fleet,
# SERVER/fleet/machines/ID/release/ (with the machine token) redirects to the release the fleet assigns this
# machine (a staged rollout's, or the channel's).

# release_fetch: sets R_image, R_sha256, R_version, R_url; SF_NET=up once the server answered.
# Non-zero (logged) when the server cannot be reached or its answer is refused.
release_fetch() {
    if [ "$C_release_source" = fleet ]; then
        _r_base=$C_server/fleet/machines/$C_machine_id/release
    else
        _r_base=$C_server/releases/$C_channel
    fi
    if ! fetch "$_r_base/SHA256SUMS" "$SF_TMP/SHA256SUMS" "$((C_connect_timeout * 3))"; then
        warn "cannot fetch $_r_base/SHA256SUMS (network or server down); booting what is installed"
        return 1
    fi
    SF_NET=up
    if ! fetch "$_r_base/SHA256SUMS.gpg" "$SF_TMP/SHA256SUMS.gpg" "$((C_connect_timeout * 3))"; then
        error "cannot fetch $_r_base/SHA256SUMS.gpg; the release is refused"
        return 1
    fi
    mkdir -p "$SF_TMP/gnupg" && chmod 700 "$SF_TMP/gnupg"
    if ! gpgv --homedir "$SF_TMP/gnupg" --keyring "$C_keyring" "$SF_TMP/SHA256SUMS.gpg" "$SF_TMP/SHA256SUMS" >"$SF_TMP/gpgv.out" 2>&1; then
        error "bad signature on $_r_base/SHA256SUMS (not signed by a key in $C_keyring); the release is refused: $(tr '\n' ' ' <"$SF_TMP/gpgv.out")"
        return 1
    fi
    info "$_r_base/SHA256SUMS: good signature"
    release_pick "$SF_TMP/SHA256SUMS" || return 1
    R_url=$_r_base/$R_image
}

# release_pick SUMS: the one entry matching image_pattern; its version is the name without the pattern's
# fixed suffix, after the last '_' (NAME_VERSION.root.erofs -> VERSION).
release_pick() {
    R_image='' R_sha256='' R_version=''
    _r_count=0
    while read -r _r_hash _r_name || [ -n "$_r_hash" ]; do
        _r_name=${_r_name#\*}
        # the pattern is a glob on purpose
        # shellcheck disable=SC2254
        case $_r_name in
            $C_image_pattern) ;;
            *) continue ;;
        esac
        case $_r_name in
            */* | .* | *[!A-Za-z0-9._+-]*)
                error "signed list names an unsafe file '$_r_name'; the release is refused"
                return 1
                ;;
        esac
        if [ "${#_r_hash}" -ne 64 ] || [ -n "$(printf '%s' "$_r_hash" | tr -d 0-9a-f)" ]; then
            error "signed list has a malformed sha256 for $_r_name; the release is refused"
            return 1
        fi
        _r_count=$((_r_count + 1))
        R_image=$_r_name
        R_sha256=$_r_hash
    done <"$1"
    if [ "$_r_count" -ne 1 ]; then
        error "signed list has $_r_count entries matching '$C_image_pattern' (need exactly one); the release is refused"
        return 1
    fi
    _r_stem=${R_image%"${C_image_pattern##*\*}"}
    R_version=${_r_stem##*_}
    info "channel $C_channel serves $R_image (version $R_version)"
}
