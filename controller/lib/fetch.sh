# shellcheck shell=sh
# HTTP through curl, else busybox (or GNU) wget; every transfer bounded by a timeout.

fetcher() {
    if [ "$C_fetcher" = auto ]; then
        if command -v curl >/dev/null 2>&1; then echo curl; else echo wget; fi
    else
        echo "$C_fetcher"
    fi
}

# fetch URL OUT SECONDS: GET URL into OUT ('-' for standard output); non-zero on any failure (HTTP errors too).
# From the fleet (its release redirect, its configuration bundle), with the machine token, following redirects.
fetch() {
    case $1 in
        "$C_server"/fleet/*) _f_auth=yes ;;
        *) _f_auth=no ;;
    esac
    if [ "$_f_auth" = yes ]; then
        case $(fetcher) in
            curl) timeout "$3" curl -fsSL --connect-timeout "$C_connect_timeout" -H "Authorization: Bearer $C_token" -o "$2" "$1" ;;
            *) timeout "$3" wget -q --header "Authorization: Bearer $C_token" -O "$2" "$1" ;;
        esac
        return
    fi
    case $(fetcher) in
        curl) timeout "$3" curl -fsS --connect-timeout "$C_connect_timeout" -o "$2" "$1" ;;
        *) timeout "$3" wget -q -O "$2" "$1" ;;
    esac
}

# post_json URL FILE: POST FILE as JSON with the machine token.
post_json() {
    case $(fetcher) in
        curl) timeout "$C_connect_timeout" curl -fsS --connect-timeout "$C_connect_timeout" -o /dev/null \
            -H 'Content-Type: application/json' -H "Authorization: Bearer $C_token" --data-binary "@$2" "$1" ;;
        *) timeout "$C_connect_timeout" wget -q -O /dev/null --header 'Content-Type: application/json' \
            --header "Authorization: Bearer $C_token" --post-file "$2" "$1" ;;
    esac
}
