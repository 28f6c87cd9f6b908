#!/bin/sh
# dracut cmdline hook: the controller picks the root slot, so no root= is needed (a given one is left to dracut);
# dracut waits for slot A's device before the mount hook runs the controller.
# shellcheck disable=SC2034 # root and rootok are read by dracut's init
if [ -z "$root" ]; then
    root=stageforge
    rootok=1
fi
slot_a=$(sed -n 's/^[[:space:]]*slot_a[[:space:]]*=[[:space:]]*//p' /etc/stageforge/config.d/*.conf 2>/dev/null | tail -n 1)
case "$slot_a" in
    /dev/*) wait_for_dev -n "$slot_a" ;;
esac
