# shellcheck shell=sh
# Configuration: defaults, then --config FILE (or every *.conf of a config.d directory, in name order),
# then stageforge.KEY=VALUE words of the kernel command line (--cmdline FILE, default /proc/cmdline).

SF_KEYS='server channel release_source fleet_config keyring config_keyring slot_a slot_b state_dir state_device machine_id token token_file image_pattern attempt_limit fetcher connect_timeout download_timeout tmpfs config_files newroot init handover network'

config_defaults() {
    C_server=''
    C_channel=''
    C_release_source=channel
    C_fleet_config=''
    C_keyring=''
    C_config_keyring=''
    C_slot_a=''
    C_slot_b=''
    C_state_dir=''
    C_state_device=''
    C_machine_id=''
    C_token=''
    C_token_file=''
    C_image_pattern='*.root.erofs'
    C_attempt_limit=3
    C_fetcher=auto
    C_connect_timeout=10
    C_download_timeout=3600
    C_tmpfs='/etc /var/log /tmp'
    C_config_files=''
    C_newroot=/sysroot
    C_init=/sbin/init
    C_handover=switch_root
    C_network=none
}

# config_file FILE: reads one file; unknown keys are an error (a typo must not silently disable a setting).
config_file() {
    kv_load "$1" K_ || die 3 "bad configuration file $1"
    for _c_var in $(set | sed -n 's/^\(K_[a-z0-9_]*\)=.*/\1/p'); do
        _c_key=${_c_var#K_}
        case " $SF_KEYS " in
            *" $_c_key "*) eval "C_$_c_key=\$$_c_var" ;;
            *) die 3 "$1: unknown key '$_c_key' (known: $SF_KEYS)" ;;
        esac
        unset "$_c_var"
    done
}

config_load() {
    config_defaults
    if [ -d "$1" ]; then
        for _c_f in "$1"/*.conf; do
            [ -f "$_c_f" ] && config_file "$_c_f"
        done
    elif [ -f "$1" ]; then
        config_file "$1"
    else
        die 3 "configuration $1: no such file or directory"
    fi
    if [ -r "$2" ]; then
        # word splitting of the command line is what the kernel does too
        # shellcheck disable=SC2013
        for _c_word in $(cat "$2"); do
            case $_c_word in
                stageforge.*=*)
                    _c_key=${_c_word#stageforge.}
                    _c_key=${_c_key%%=*}
                    case " $SF_KEYS " in
                        *" $_c_key "*) eval "C_$_c_key=\${_c_word#*=}" ;;
                        *) warn "kernel command line: unknown key stageforge.$_c_key ignored" ;;
                    esac
                    ;;
            esac
        done
    fi
    config_check
}

config_check() {
    for _c_key in slot_a slot_b state_dir; do
        eval "_c_v=\$C_$_c_key"
        [ -n "$_c_v" ] || die 3 "configuration: '$_c_key' is required"
    done
    case $C_attempt_limit in
        '' | *[!0-9]* | 0) die 3 "configuration: attempt_limit must be a positive number, not '$C_attempt_limit'" ;;
    esac
    case $C_release_source in
        channel) ;;
        fleet) [ -n "$C_machine_id" ] || die 3 "configuration: release_source = fleet needs machine_id" ;;
        *) die 3 "configuration: release_source must be channel or fleet, not '$C_release_source'" ;;
    esac
    # the fleet's configuration bundle comes with the fleet's releases unless said otherwise
    if [ -z "$C_fleet_config" ]; then
        if [ "$C_release_source" = fleet ]; then C_fleet_config=yes; else C_fleet_config=no; fi
    fi
    case $C_fleet_config in
        yes) [ -n "$C_machine_id" ] || die 3 "configuration: fleet_config = yes needs machine_id" ;;
        no) ;;
        *) die 3 "configuration: fleet_config must be yes or no, not '$C_fleet_config'" ;;
    esac
    case $C_fetcher in
        auto | curl | wget) ;;
        *) die 3 "configuration: fetcher must be auto, curl or wget, not '$C_fetcher'" ;;
    esac
    case $C_network in
        none | dhcp) ;;
        *) die 3 "configuration: network must be none or dhcp, not '$C_network'" ;;
    esac
    case $C_handover in
        switch_root | none) ;;
        *) die 3 "configuration: handover must be switch_root or none, not '$C_handover'" ;;
    esac
    case $C_channel in
        *[!A-Za-z0-9._-]* | .*) die 3 "configuration: bad channel name '$C_channel'" ;;
    esac
    case $C_machine_id in
        *[!A-Za-z0-9._-]* | .*) die 3 "configuration: bad machine_id '$C_machine_id'" ;;
    esac
    if [ -n "$C_server" ]; then
        [ -n "$C_channel" ] || die 3 "configuration: 'channel' is required with 'server'"
        [ -n "$C_keyring" ] || die 3 "configuration: 'keyring' is required with 'server'"
        case $C_keyring in
            /*) ;;
            *) C_keyring=$PWD/$C_keyring ;;
        esac
        [ -n "$C_config_keyring" ] || C_config_keyring=$C_keyring
        case $C_config_keyring in
            /*) ;;
            *) C_config_keyring=$PWD/$C_config_keyring ;;
        esac
    fi
    C_server=${C_server%/}
    if [ -z "$C_token" ] && [ -n "$C_token_file" ] && [ -r "$C_token_file" ]; then
        C_token=$(head -n 1 "$C_token_file")
    fi
}
