#!/bin/sh
# dracut mount hook: the controller chooses (and updates) the slot and mounts it on $NEWROOT; dracut
# itself switches root, so the handover is left to it.
mkdir -p /etc/stageforge/config.d
printf 'newroot = %s\nhandover = none\n' "$NEWROOT" >/etc/stageforge/config.d/zz-dracut.conf
stageforge-controller --config /etc/stageforge/config.d boot --initramfs || die "stageforge-controller failed"
