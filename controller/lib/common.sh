# shellcheck shell=sh
# Logging, key=value files and atomic writes. Sourced by stageforge-controller; POSIX sh (busybox ash).
# Functions use variables with a per-function prefix instead of `local`, which POSIX does not define.

SF_ERRORS=''

# log LEVEL MESSAGE...: to the console (stderr) and, once the state directory is known, to its log.
log() {
    _l_level=$1
    shift
    printf 'stageforge-controller: %s: %s\n' "$_l_level" "$*" >&2
    if [ -n "${SF_LOG:-}" ]; then
        printf '%s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$_l_level" "$*" >>"$SF_LOG" 2>/dev/null || true
    fi
}

info() { log info "$@"; }
warn() { log warning "$@"; }

# error MESSAGE: logged and kept for the health report.
error() {
    log error "$@"
    SF_ERRORS="${SF_ERRORS}$*
"
}

# die CODE MESSAGE: a fatal error (exit codes as stageforge's: 1 failure, 2 usage, 3 bad input).
die() {
    _d_code=$1
    shift
    log error "$@"
    exit "$_d_code"
}

# kv_load FILE PREFIX: sets PREFIX<key> for every "key=value" line (keys [a-z0-9_]); the value is taken
# literally, never evaluated. '#' lines and blank lines are skipped; other lines are an error (returns 1).
kv_load() {
    _k_file=$1
    _k_prefix=$2
    _k_n=0
    while IFS= read -r _k_line || [ -n "$_k_line" ]; do
        _k_n=$((_k_n + 1))
        case $_k_line in
            '' | '#'*) continue ;;
        esac
        _k_key=${_k_line%%=*}
        _k_val=${_k_line#*=}
        # "key = value" is allowed in configuration files
        _k_key=$(printf '%s' "$_k_key" | tr -d ' \t')
        _k_val=$(printf '%s' "$_k_val" | sed 's/^[ \t]*//; s/[ \t]*$//')
        case $_k_line in
            *=*) ;;
            *) log error "$_k_file:$_k_n: not a key=value line"; return 1 ;;
        esac
        case $_k_key in
            '' | *[!a-z0-9_]*) log error "$_k_file:$_k_n: bad key '$_k_key'"; return 1 ;;
        esac
        case $_k_val in
            \"*\") _k_val=${_k_val#\"}; _k_val=${_k_val%\"} ;;
        esac
        eval "${_k_prefix}${_k_key}=\$_k_val"
    done <"$_k_file"
}

# atomic_write FILE: writes standard input to FILE through FILE.tmp, flushed, then renamed, so a power
# loss leaves either the old or the new content.
atomic_write() {
    _a_file=$1
    cat >"$_a_file.tmp" || return 1
    sync "$_a_file.tmp" 2>/dev/null || sync
    mv -f "$_a_file.tmp" "$_a_file" || return 1
    # the rename itself: flush the directory
    sync "${_a_file%/*}" 2>/dev/null || sync
}

# sha256_of FILE [BYTES]: the sha256 of FILE, or of its first BYTES bytes (a block device is larger than the image).
sha256_of() {
    if [ -n "${2:-}" ]; then
        head -c "$2" "$1" | sha256sum | cut -d ' ' -f 1
    else
        sha256sum <"$1" | cut -d ' ' -f 1
    fi
}

now_epoch() { date -u +%s; }
