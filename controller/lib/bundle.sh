# shellcheck shell=sh
# The fleet's configuration bundle: SERVER/fleet/machines/ID/config.version, config.tar and its detached
# signature config.tar.asc (by the fleet key, checked with gpgv against config_keyring), fetched with the machine
# token. The last good bundle is kept as STATE_DIR/config/VERSION/ (config.tar, config.tar.asc, files/) and named
# by the state's config_version, so taking a new bundle is the state file's one atomic rename; a refused bundle
# leaves the previous one in force.

# bundle_dir: the directory of the bundle in force (empty when there is none).
bundle_dir() {
    [ -n "$S_config_version" ] && [ -d "$C_state_dir/config/$S_config_version/files" ] && printf '%s' "$C_state_dir/config/$S_config_version"
}

# bundle_update: takes the served bundle when its version differs from the one in force; non-zero (logged) when
# it cannot be fetched or is refused.
bundle_update() {
    _b_base=$C_server/fleet/machines/$C_machine_id
    mkdir -p "$C_state_dir/config" || { error "cannot create $C_state_dir/config"; return 1; }
    # leftovers of a run that stopped before its state was saved
    for _b_d in "$C_state_dir"/config/*; do
        [ -e "$_b_d" ] && [ "${_b_d##*/}" != "$S_config_version" ] && rm -rf "$_b_d"
    done
    if ! fetch "$_b_base/config.version" "$SF_TMP/config.version" "$((C_connect_timeout * 3))"; then
        warn "cannot fetch $_b_base/config.version; keeping configuration ${S_config_version:-none}"
        return 1
    fi
    _b_version=$(head -n 1 "$SF_TMP/config.version" | tr -d '\r')
    case $_b_version in
        '' | .* | *[!0-9.]*)
            error "$_b_base/config.version is not a version; keeping configuration ${S_config_version:-none}"
            return 1
            ;;
    esac
    if [ "$_b_version" = "$S_config_version" ] && [ -n "$(bundle_dir)" ]; then
        info "configuration $_b_version is current"
        return 0
    fi
    _b_new=$C_state_dir/config/$_b_version
    mkdir -p "$_b_new/files" || { error "cannot create $_b_new"; return 1; }
    if ! fetch "$_b_base/config.tar" "$_b_new/config.tar" "$C_download_timeout" \
        || ! fetch "$_b_base/config.tar.asc" "$_b_new/config.tar.asc" "$((C_connect_timeout * 3))"; then
        error "cannot fetch the configuration bundle $_b_version from $_b_base; keeping configuration ${S_config_version:-none}"
        rm -rf "$_b_new"
        return 1
    fi
    mkdir -p "$SF_TMP/gnupg" && chmod 700 "$SF_TMP/gnupg"
    if ! gpgv --homedir "$SF_TMP/gnupg" --keyring "$C_config_keyring" "$_b_new/config.tar.asc" "$_b_new/config.tar" >"$SF_TMP/gpgv.out" 2>&1; then
        error "bad signature on $_b_base/config.tar (not signed by a key in $C_config_keyring); configuration $_b_version refused, keeping ${S_config_version:-none}: $(tr '\n' ' ' <"$SF_TMP/gpgv.out")"
        rm -rf "$_b_new"
        return 1
    fi
    if ! bundle_check "$_b_new/config.tar" || ! tar -xf "$_b_new/config.tar" -C "$_b_new/files"; then
        error "configuration bundle $_b_version cannot be unpacked safely; keeping configuration ${S_config_version:-none}"
        rm -rf "$_b_new"
        return 1
    fi
    sync
    _b_old=$S_config_version
    S_config_version=$_b_version
    state_save
    [ -n "$_b_old" ] && [ "$_b_old" != "$_b_version" ] && rm -rf "${C_state_dir:?}/config/$_b_old"
    info "configuration $_b_version: good signature, kept in $_b_new"
}

# bundle_check TAR: only regular files and directories, relative names without '..'.
bundle_check() {
    tar -tvf "$1" >"$SF_TMP/bundle.list" 2>/dev/null || return 1
    if grep -qv '^[-d]' "$SF_TMP/bundle.list"; then
        error "configuration bundle has an entry that is not a file or directory: $(grep -v '^[-d]' "$SF_TMP/bundle.list" | head -n 1)"
        return 1
    fi
    tar -tf "$1" >"$SF_TMP/bundle.names" || return 1
    while IFS= read -r _b_name || [ -n "$_b_name" ]; do
        case /$_b_name/ in
            //* | */../* | */./*)
                error "configuration bundle names an unsafe path '$_b_name'"
                return 1
                ;;
        esac
    done <"$SF_TMP/bundle.names"
}

# bundle_overlay DIR TARGET: lays the bundle's files under DIR (an absolute directory of the root, like /etc)
# over TARGET.
bundle_overlay() {
    _b_src=$(bundle_dir)
    [ -n "$_b_src" ] && [ -d "$_b_src/files$1" ] || return 0
    cp -a "$_b_src/files$1/." "$2/" || return 1
    info "configuration $S_config_version applied to $1"
}
