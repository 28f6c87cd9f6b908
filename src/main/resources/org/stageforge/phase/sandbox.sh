# stageforge: confines one phase run. Started by unshare in new mount and PID namespaces (plus a
# user namespace when not run by root). Builds a tmpfs root holding the host's /usr, /bin, /lib*,
# /etc read-only, a minimal /dev, a fresh /proc (of the new PID namespace only) and a private /tmp,
# binds the writable directories (ROOT, the package's build dir) at their own paths, makes the
# tmpfs the root with pivot_root and detaches the host's root, then runs the command with only the
# capabilities file ownership needs (no mount, chroot, mknod, module or raw I/O rights), so the
# phase can neither see nor change anything of the host outside those directories.
# usage: sandbox.sh NEWROOT N RW_1 .. RW_N -- COMMAND...
set -eu
new=$1
n=$2
shift 2
rw=("${@:1:n}")
shift "${n}"
[ "$1" = -- ] && shift
mount -t tmpfs -o mode=0755 stageforge-phase "${new}"
for d in /usr /bin /sbin /lib /lib32 /lib64 /libx32 /etc; do
	if [ -L "${d}" ]; then
		ln -s "$(readlink "${d}")" "${new}${d}"
	elif [ -d "${d}" ]; then
		mkdir "${new}${d}"
		mount --rbind "${d}" "${new}${d}"
	fi
done
mkdir -m 0755 "${new}/dev" "${new}/proc"
for d in null zero full random urandom tty; do
	if [ -c "/dev/${d}" ]; then
		: > "${new}/dev/${d}"
		mount --bind "/dev/${d}" "${new}/dev/${d}"
	fi
done
ln -s /proc/self/fd "${new}/dev/fd"
ln -s /proc/self/fd/0 "${new}/dev/stdin"
ln -s /proc/self/fd/1 "${new}/dev/stdout"
ln -s /proc/self/fd/2 "${new}/dev/stderr"
mkdir -m 1777 "${new}/tmp"
# every mount inside the new root read-only, then the writable directories on top
while read -r _ _ _ _ mp _; do
	case ${mp} in
		"${new}"/*) mount -o remount,bind,ro "${mp}" ;;
	esac
done < /proc/self/mountinfo
mount -t proc -o nosuid,nodev,noexec proc "${new}/proc"
for p in "${rw[@]}"; do
	mkdir -p "${new}${p}"
	mount --bind "${p}" "${new}${p}"
done
mkdir "${new}/.old-root"
cd "${new}"
pivot_root . .old-root
umount -l /.old-root
rmdir /.old-root
exec setpriv --no-new-privs --inh-caps=-all \
	--bounding-set=-all,+chown,+dac_override,+dac_read_search,+fowner,+fsetid,+setfcap "$@"
