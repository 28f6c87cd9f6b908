#!/bin/bash
# dracut module: the stageforge update controller picks, updates and mounts the root slot. Takes the
# controller as installed in the root (/usr/bin/stageforge-controller, /usr/lib/stageforge-controller/) and
# its configuration, keyring and token from /etc/stageforge.
# shellcheck disable=SC2154 # moddir is set by dracut

check() {
    require_binaries gpgv || return 1
    return 255
}

depends() {
    # updates need the network; a controller without a server (it only picks and mounts a slot) does not
    if grep -qs '^[[:space:]]*server[[:space:]]*=' /etc/stageforge/config.d/*.conf; then
        echo network
    fi
    return 0
}

install() {
    inst_multiple gpgv sha256sum tee wc head timeout sync switch_root mount sed tail
    inst_multiple -o curl wget
    inst_simple /usr/bin/stageforge-controller
    for f in /usr/lib/stageforge-controller/*.sh; do
        inst_simple "$f"
    done
    if [ -d /etc/stageforge ]; then
        inst_dir /etc/stageforge
        for f in /etc/stageforge/config.d/*.conf /etc/stageforge/keyring.gpg /etc/stageforge/token; do
            [ -e "$f" ] && inst_simple "$f"
        done
        if [ -d /etc/stageforge/files ]; then
            find /etc/stageforge/files -type f | while IFS= read -r f; do inst_simple "$f"; done
        fi
    fi
    inst_hook cmdline 90 "$moddir/stageforge-root.sh"
    inst_hook mount 90 "$moddir/stageforge-mount.sh"
}
