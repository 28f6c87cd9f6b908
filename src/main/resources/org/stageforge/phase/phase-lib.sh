# stageforge: PMS helpers for the pkg_* phases of binary packages.
# Sourced before the package's saved environment and again after it, so the copies of Portage's own
# helpers saved in that environment never replace these. Needs: __SF_STATE (per-run state dir),
# __SF_INSTALLED (installed packages of ROOT: "cat/pf<TAB>slot<TAB>repo<TAB>use..."), __SF_PRIVILEGED.

# ---- messages ---------------------------------------------------------------------------------

# One NUL-separated record per message: level, text. Java reads them into PhaseResult.
__sf_record() {
	printf '%s\0%s\0' "$1" "$2" >> "${__SF_STATE}/elog"
}

# Like Portage, a message of several lines is several messages.
__sf_say() {
	local level=$1 mark=$2 line
	shift 2
	while IFS= read -r line; do
		printf ' %s %s\n' "${mark}" "${line}"
		__sf_record "${level}" "${line}"
	done <<< "$*"
}

einfo() { __sf_say INFO '*' "$@"; }
elog() { __sf_say LOG '*' "$@"; }
ewarn() { __sf_say WARN '*' "$@" >&2; }
eerror() { __sf_say ERROR '*' "$@" >&2; }
eqawarn() { __sf_say QA '*' "$@" >&2; }
einfon() {
	printf ' * %s' "$*"
	__sf_record INFO "$*"
}
ebegin() {
	__sf_say INFO '*' "$* ..."
	__SF_EBEGIN=1
}
eend() {
	local status=${1:-0}
	shift
	__SF_EBEGIN=
	if [[ ${status} -eq 0 ]]; then
		printf ' [ ok ]\n'
	else
		[[ $# -gt 0 ]] && eerror "$@"
		printf ' [ !! ]\n'
	fi
	return "${status}"
}
debug-print() { :; }
debug-print-function() { :; }
debug-print-section() { :; }

# ---- failure ----------------------------------------------------------------------------------

die() {
	if [[ $1 == -n ]]; then
		shift
		if [[ -n ${PORTAGE_NONFATAL} ]]; then
			[[ $# -gt 0 ]] && eerror "$*"
			return 1
		fi
	fi
	local msg=${*:-(no error message)} i
	printf '%s' "${msg}" > "${__SF_STATE}/die"
	eerror "ERROR: ${CATEGORY}/${PF} failed (${EBUILD_PHASE} phase):"
	eerror "  ${msg}"
	for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do
		printf '   called from %s (line %s)\n' "${FUNCNAME[i]}" "${BASH_LINENO[i - 1]}" >&2
	done
	# die in a subshell ($(...), pipelines) must still end the phase, as in Portage
	[[ ${BASHPID} != "${__SF_MAIN_PID}" ]] && kill -s TERM "${__SF_MAIN_PID}"
	exit 1
}

nonfatal() {
	[[ $# -gt 0 ]] || die "nonfatal: no command"
	PORTAGE_NONFATAL=1 "$@"
}

assert() {
	local status=("${PIPESTATUS[@]}") s
	for s in "${status[@]}"; do
		[[ ${s} -eq 0 ]] || die "$@"
	done
}

# ---- USE and lists ----------------------------------------------------------------------------

has() {
	local needle=$1 x
	shift
	for x in "$@"; do
		[[ ${x} == "${needle}" ]] && return 0
	done
	return 1
}
hasq() { has "$@"; }
hasv() {
	has "$@" && printf '%s\n' "$1"
}

use() {
	local flag=$1 want=0
	if [[ ${flag} == '!'* ]]; then
		flag=${flag#!}
		want=1
	fi
	[[ -n ${flag} ]] || die "use: no flag given"
	if has "${flag}" ${USE}; then
		return "${want}"
	fi
	return $((1 - want))
}
useq() { use "$@"; }
usev() {
	if use "$1"; then
		printf '%s\n' "${2-${1#!}}"
		return 0
	fi
	return 1
}
usex() {
	if use "$1"; then
		printf '%s%s\n' "${2-yes}" "${4-}"
	else
		printf '%s%s\n' "${3-no}" "${5-}"
	fi
	return 0
}
use_with() {
	if use "$1"; then
		printf -- '--with-%s%s\n' "${2:-$1}" "${3+=$3}"
	else
		printf -- '--without-%s\n' "${2:-$1}"
	fi
}
use_enable() {
	if use "$1"; then
		printf -- '--enable-%s%s\n' "${2:-$1}" "${3+=$3}"
	else
		printf -- '--disable-%s\n' "${2:-$1}"
	fi
}
in_iuse() {
	local flag=$1 x
	for x in ${IUSE_EFFECTIVE:-${IUSE}}; do
		x=${x#[+-]}
		[[ ${x} == "${flag}" ]] && return 0
	done
	return 1
}

# ---- versions (PMS "Version comparison") ------------------------------------------------------

# Splits a version string into alternating separators and components, starting with a separator.
__sf_ver_split() {
	local v=$1 c
	__SF_PARTS=()
	while [[ -n ${v} ]]; do
		c=${v%%[a-zA-Z0-9]*}
		__SF_PARTS+=("${c}")
		v=${v:${#c}}
		[[ -z ${v} ]] && break
		if [[ ${v} == [0-9]* ]]; then
			c=${v%%[!0-9]*}
		else
			c=${v%%[!a-zA-Z]*}
		fi
		__SF_PARTS+=("${c}")
		v=${v:${#c}}
	done
}

__sf_ver_range() { # range max -> __SF_FROM __SF_TO
	[[ $1 =~ ^([0-9]+)(-([0-9]*))?$ ]] || die "invalid version range '$1'"
	__SF_FROM=${BASH_REMATCH[1]}
	if [[ -z ${BASH_REMATCH[2]} ]]; then
		__SF_TO=${__SF_FROM}
	else
		__SF_TO=${BASH_REMATCH[3]:-$2}
	fi
	[[ ${__SF_TO} -gt $2 ]] && __SF_TO=$2
	return 0
}

# Components sit at odd indexes of __SF_PARTS (component k at 2k-1), separators at even ones
# (separator k, after component k, at 2k; separator 0 leads).
ver_cut() {
	local v=${2-${PV}} i out=
	__sf_ver_split "${v}"
	__sf_ver_range "$1" $((${#__SF_PARTS[@]} / 2))
	[[ ${__SF_FROM} -lt 1 ]] && __SF_FROM=1
	for ((i = 2 * __SF_FROM - 1; i <= 2 * __SF_TO - 1; i++)); do
		out+=${__SF_PARTS[i]}
	done
	printf '%s\n' "${out}"
}

ver_rs() {
	local v=${PV} i
	if [[ $(($# % 2)) -eq 1 ]]; then
		v=${!#}
		set -- "${@:1:$#-1}"
	fi
	__sf_ver_split "${v}"
	local n=${#__SF_PARTS[@]}
	while [[ $# -ge 2 ]]; do
		__sf_ver_range "$1" $((n / 2))
		for ((i = __SF_FROM; i <= __SF_TO; i++)); do
			if [[ ${i} -eq 0 ]]; then
				[[ -n ${__SF_PARTS[0]} ]] && __SF_PARTS[0]=$2
			elif [[ $((2 * i + 1)) -lt ${n} || ($((2 * i)) -lt ${n} && -n ${__SF_PARTS[2 * i]}) ]]; then
				__SF_PARTS[2 * i]=$2
			fi
		done
		shift 2
	done
	local IFS=
	printf '%s\n' "${__SF_PARTS[*]}"
}

# Compares decimal strings of any length: prints -1, 0 or 1.
__sf_numcmp() {
	local a=${1##+(0)} b=${2##+(0)}
	a=${a:-0} b=${b:-0}
	if [[ ${#a} -ne ${#b} ]]; then
		[[ ${#a} -lt ${#b} ]] && echo -1 || echo 1
	elif [[ ${a} == "${b}" ]]; then
		echo 0
	elif [[ ${a} < ${b} ]]; then
		echo -1
	else
		echo 1
	fi
}

__SF_VER_RE='^([0-9]+)((\.[0-9]+)*)([a-z]?)((_(alpha|beta|pre|rc|p)[0-9]*)*)(-r([0-9]+))?$'

# Prints -1, 0 or 1 for version $1 against $2 (PMS algorithm); dies on an invalid version.
__sf_vercmp() {
	local a=$1 b=$2 c
	[[ ${a} =~ ${__SF_VER_RE} ]] || die "invalid version '${a}'"
	local an=${BASH_REMATCH[1]} ad=${BASH_REMATCH[2]} al=${BASH_REMATCH[4]} as=${BASH_REMATCH[5]} ar=${BASH_REMATCH[9]:-0}
	[[ ${b} =~ ${__SF_VER_RE} ]] || die "invalid version '${b}'"
	local bn=${BASH_REMATCH[1]} bd=${BASH_REMATCH[2]} bl=${BASH_REMATCH[4]} bs=${BASH_REMATCH[5]} br=${BASH_REMATCH[9]:-0}
	c=$(__sf_numcmp "${an}" "${bn}")
	[[ ${c} != 0 ]] && { echo "${c}"; return; }
	local -a ada bda
	IFS=. read -r -a ada <<< "${ad#.}"
	IFS=. read -r -a bda <<< "${bd#.}"
	local i x y
	for ((i = 0; i < ${#ada[@]} && i < ${#bda[@]}; i++)); do
		x=${ada[i]} y=${bda[i]}
		if [[ ${x} == 0* || ${y} == 0* ]]; then
			# leading zero: compare as strings with trailing zeros removed
			x=${x%%+(0)} y=${y%%+(0)}
			[[ ${x} < ${y} ]] && { echo -1; return; }
			[[ ${x} > ${y} ]] && { echo 1; return; }
		else
			c=$(__sf_numcmp "${x}" "${y}")
			[[ ${c} != 0 ]] && { echo "${c}"; return; }
		fi
	done
	[[ ${#ada[@]} -lt ${#bda[@]} ]] && { echo -1; return; }
	[[ ${#ada[@]} -gt ${#bda[@]} ]] && { echo 1; return; }
	[[ ${al} < ${bl} ]] && { echo -1; return; }
	[[ ${al} > ${bl} ]] && { echo 1; return; }
	local -a asa bsa
	IFS=_ read -r -a asa <<< "${as#_}"
	IFS=_ read -r -a bsa <<< "${bs#_}"
	[[ -z ${as} ]] && asa=()
	[[ -z ${bs} ]] && bsa=()
	local -A rank=([alpha]=0 [beta]=1 [pre]=2 [rc]=3 [p]=5)
	local sx sy
	for ((i = 0; i < ${#asa[@]} && i < ${#bsa[@]}; i++)); do
		sx=${asa[i]%%[0-9]*} sy=${bsa[i]%%[0-9]*}
		if [[ ${sx} != "${sy}" ]]; then
			[[ ${rank[${sx}]} -lt ${rank[${sy}]} ]] && echo -1 || echo 1
			return
		fi
		c=$(__sf_numcmp "${asa[i]#"${sx}"}" "${bsa[i]#"${sy}"}")
		[[ ${c} != 0 ]] && { echo "${c}"; return; }
	done
	if [[ ${#asa[@]} -gt ${#bsa[@]} ]]; then
		[[ ${asa[i]} == p* ]] && echo 1 || echo -1
		return
	fi
	if [[ ${#asa[@]} -lt ${#bsa[@]} ]]; then
		[[ ${bsa[i]} == p* ]] && echo -1 || echo 1
		return
	fi
	__sf_numcmp "${ar}" "${br}"
}

ver_test() {
	local va op vb
	if [[ $# -eq 3 ]]; then
		va=$1 op=$2 vb=$3
	elif [[ $# -eq 2 ]]; then
		va=${PVR} op=$1 vb=$2
	else
		die "ver_test: wrong number of arguments"
	fi
	local c
	c=$(__sf_vercmp "${va}" "${vb}") || die "ver_test: invalid version"
	case ${op} in
		-eq) [[ ${c} -eq 0 ]] ;;
		-ne) [[ ${c} -ne 0 ]] ;;
		-lt) [[ ${c} -lt 0 ]] ;;
		-le) [[ ${c} -le 0 ]] ;;
		-gt) [[ ${c} -gt 0 ]] ;;
		-ge) [[ ${c} -ge 0 ]] ;;
		*) die "ver_test: invalid operator '${op}'" ;;
	esac
}

# ---- installed packages of ROOT ---------------------------------------------------------------

# Lines of __SF_INSTALLED matching a simple atom (operators, =*, ~, slot/subslot, ::repo, USE deps).
__sf_match() {
	local atom=$1 op= ver= slot= repo= usedeps= cp
	if [[ ${atom} == *']' ]]; then
		usedeps=${atom##*[}
		usedeps=${usedeps%]}
		atom=${atom%[*}
	fi
	if [[ ${atom} == *::* ]]; then
		repo=${atom##*::}
		atom=${atom%%::*}
	fi
	if [[ ${atom} == *:* ]]; then
		slot=${atom#*:}
		atom=${atom%%:*}
		slot=${slot%[=*]}
	fi
	[[ ${atom} == '!'* ]] && die "has_version: blockers are not allowed: $1"
	if [[ ${atom} =~ ^(\>=|\<=|\>|\<|=|~)(.*)$ ]]; then
		op=${BASH_REMATCH[1]}
		atom=${BASH_REMATCH[2]}
		local glob=
		[[ ${op} == = && ${atom} == *'*' ]] && { glob=1; atom=${atom%'*'}; }
		[[ ${atom} =~ ^(.+)-([0-9][^-]*(-r[0-9]+)?)$ ]] || die "invalid atom '$1'"
		cp=${BASH_REMATCH[1]}
		ver=${BASH_REMATCH[2]}
		[[ -n ${glob} ]] && op='=*'
	else
		cp=${atom}
	fi
	[[ ${cp} == */* ]] || die "invalid atom '$1'"
	local cpv islot irepo iuse iver c u flag ok
	while IFS=$'\t' read -r cpv islot irepo iuse; do
		[[ ${cpv%/*} == "${cp%/*}" ]] || continue
		iver=${cpv#*/}
		[[ ${iver} == "${cp#*/}-"* ]] || continue
		iver=${iver#"${cp#*/}-"}
		[[ ${iver} =~ ${__SF_VER_RE} ]] || continue
		if [[ -n ${op} ]]; then
			case ${op} in
				'=*')
					[[ ${iver} == "${ver}" || (${iver} == "${ver}"* && ${iver:${#ver}:1} != [0-9]) ]] || continue
					;;
				'~')
					[[ $(__sf_vercmp "${iver%-r+([0-9])}" "${ver%-r+([0-9])}") == 0 ]] || continue
					;;
				*)
					c=$(__sf_vercmp "${iver}" "${ver}")
					case ${op} in
						'=') [[ ${c} == 0 ]] ;;
						'>=') [[ ${c} -ge 0 ]] ;;
						'<=') [[ ${c} -le 0 ]] ;;
						'>') [[ ${c} -gt 0 ]] ;;
						'<') [[ ${c} -lt 0 ]] ;;
					esac || continue
					;;
			esac
		fi
		if [[ -n ${slot} ]]; then
			if [[ ${slot} == */* ]]; then
				[[ ${islot} == "${slot}" || (${islot} != */* && "${islot}/${islot}" == "${slot}") ]] || continue
			else
				[[ ${islot%%/*} == "${slot}" ]] || continue
			fi
		fi
		[[ -z ${repo} || ${irepo} == "${repo}" ]] || continue
		ok=1
		local -a deps=()
		IFS=, read -r -a deps <<< "${usedeps}"
		for u in "${deps[@]}"; do
			u=${u%'(+)'}
			u=${u%'(-)'}
			__sf_usedep "${u}" "${iuse}" || ok=
		done
		[[ -n ${ok} ]] || continue
		printf '%s\t%s\n' "${cpv}" "${iver}"
	done < "${__SF_INSTALLED}"
}

# One USE dependency against an installed package's USE ($2), conditionals read this package's USE.
__sf_usedep() {
	local u=$1 iuse=$2 flag
	case ${u} in
		'!'*'?') flag=${u:1:-1}; use "${flag}" || ! has "${flag}" ${iuse} ;;
		*'?') flag=${u%'?'}; ! use "${flag}" || has "${flag}" ${iuse} ;;
		'!'*'=') flag=${u:1:-1}; if use "${flag}"; then ! has "${flag}" ${iuse}; else has "${flag}" ${iuse}; fi ;;
		*'=') flag=${u%=}; if use "${flag}"; then has "${flag}" ${iuse}; else ! has "${flag}" ${iuse}; fi ;;
		-*) ! has "${u#-}" ${iuse} ;;
		*) has "${u}" ${iuse} ;;
	esac
}

# -b (BROOT) and -d (ESYSROOT) name the build host, which is not a Gentoo system here: nothing is
# installed there. -r and no option ask about ROOT.
__sf_query_root() {
	case $1 in
		-b | -d | --host-root) return 1 ;;
	esac
	return 0
}

has_version() {
	local where=-r
	[[ $1 == -* ]] && { where=$1; shift; }
	[[ $# -eq 1 ]] || die "has_version: expected one atom"
	__sf_query_root "${where}" || return 1
	local out
	out=$(__sf_match "$1") || die "has_version failed"
	[[ -n ${out} ]]
}

best_version() {
	local where=-r
	[[ $1 == -* ]] && { where=$1; shift; }
	[[ $# -eq 1 ]] || die "best_version: expected one atom"
	__sf_query_root "${where}" || return 1
	local out best= bestv= cpv v
	out=$(__sf_match "$1") || die "best_version failed"
	while IFS=$'\t' read -r cpv v; do
		[[ -z ${cpv} ]] && continue
		if [[ -z ${best} || $(__sf_vercmp "${v}" "${bestv}") == 1 ]]; then
			best=${cpv} bestv=${v}
		fi
	done <<< "${out}"
	[[ -n ${best} ]] || return 1
	printf '%s\n' "${best}"
}

# ---- files: confinement and recorded ownership ------------------------------------------------

# Resolves a path as seen from inside ROOT: symbolic links under ROOT are followed with ROOT as
# "/" (an absolute link in the root points into the root, never at the host), and ".." stops at
# ROOT. Other paths (the image, T) resolve normally.
__sf_resolve() {
	local r=${ROOT%/} p
	p=$(realpath -m -s -- "$1") || die "cannot resolve path '$1'"
	if [[ -z ${r} || (${p} != "${r}" && ${p} != "${r}"/*) ]]; then
		realpath -m -- "$1"
		return
	fi
	local rest=${p#"${r}"} cur= comp target n=0
	rest=${rest#/}
	while [[ -n ${rest} ]]; do
		comp=${rest%%/*}
		if [[ ${rest} == */* ]]; then rest=${rest#*/}; else rest=; fi
		case ${comp} in
			'' | .) continue ;;
			..) cur=${cur%/*}; continue ;;
		esac
		if [[ -L ${r}${cur}/${comp} ]]; then
			((++n > 40)) && die "too many levels of symbolic links in '$1'"
			target=$(readlink -- "${r}${cur}/${comp}")
			[[ ${target} == /* ]] && cur=
			target=${target#/}
			rest=${target}${rest:+/${rest}}
		else
			cur+=/${comp}
		fi
	done
	printf '%s\n' "${r}${cur}"
}

# Prints "scope<TAB>relative path" for a path inside ROOT, the image (D) or T; dies otherwise.
__sf_where() {
	local p
	p=$(__sf_resolve "$1") || exit 1
	local r=${ROOT%/} d=${D%/} t=${T%/}
	if [[ -n ${D} && (${p} == "${d}" || ${p} == "${d}"/*) ]]; then
		p=${p#"${d}"}
		printf 'image\t%s\n' "${p#/}"
	elif [[ ${p} == "${t}" || ${p} == "${t}"/* ]]; then
		p=${p#"${t}"}
		printf 'temp\t%s\n' "${p#/}"
	elif [[ -z ${r} || ${p} == "${r}" || ${p} == "${r}"/* ]]; then
		p=${p#"${r}"}
		printf 'root\t%s\n' "${p#/}"
	else
		die "refusing to touch '$1': outside ROOT (${ROOT})"
	fi
}

# The resolved paths of the arguments, one per array element (dies for any outside ROOT).
__sf_resolve_all() {
	local f
	__SF_RESOLVED=()
	for f in "$@"; do
		__sf_where "${f}" > /dev/null || exit 1
		__SF_RESOLVED+=("$(__sf_resolve "${f}")")
	done
}

__sf_intent() { # op path args
	local w
	w=$(__sf_where "$2") || exit 1
	[[ ${w%%$'\t'*} == temp ]] && return 0
	printf '%s\0%s\0%s\0%s\0' "$1" "${w%%$'\t'*}" "${w#*$'\t'}" "$3" >> "${__SF_STATE}/intents"
}

# Resolves a user or group name against ROOT's databases, never the host's.
__sf_id() { # passwd|group name
	local name=$2 line
	if [[ ${name} =~ ^[0-9]+$ ]]; then
		printf '%s\n' "${name}"
		return 0
	fi
	line=$(grep -m1 "^${name}:" "${ROOT%/}/etc/$1" 2> /dev/null) || return 1
	line=${line#*:*:}
	printf '%s\n' "${line%%:*}"
}

__sf_expand() { # recursive? paths... -> one path per line (NUL-separated)
	local rec=$1 p
	shift
	__sf_resolve_all "$@"
	for p in "${__SF_RESOLVED[@]}"; do
		if [[ -n ${rec} && -d ${p} && ! -L ${p} ]]; then
			command find "${p}" -print0
		else
			printf '%s\0' "${p}"
		fi
	done
}

__sf_chown() { # cmdname spec-default-user args...
	local cmd=$1
	shift
	local -a opts=() files=()
	local rec= spec= arg
	for arg in "$@"; do
		if [[ -z ${spec} && ${arg} == -* ]]; then
			case ${arg} in
				-R | --recursive) rec=1 ;;
				-h | --no-dereference | -v | -c | -f | --silent | --quiet) ;;
				--reference*) die "${cmd}: --reference is not supported" ;;
				-*) ;;
			esac
			opts+=("${arg}")
		elif [[ -z ${spec} ]]; then
			spec=${arg}
		else
			files+=("${arg}")
		fi
	done
	[[ -n ${spec} && ${#files[@]} -gt 0 ]] || { eerror "${cmd}: missing operand"; return 1; }
	local user= group= uid=-1 gid=-1
	if [[ ${cmd} == chgrp ]]; then
		group=${spec}
	else
		user=${spec%%[:.]*}
		[[ ${spec} == *[:.]* ]] && group=${spec#*[:.]}
	fi
	if [[ -n ${user} ]]; then
		uid=$(__sf_id passwd "${user}") || { eerror "${cmd}: invalid user: '${user}' (not in ${ROOT%/}/etc/passwd)"; return 1; }
		if [[ ${spec} == *[:.] ]]; then
			# "user:" means the user's login group
			gid=$(grep -m1 "^${user}:" "${ROOT%/}/etc/passwd" | cut -d: -f4)
		fi
	fi
	if [[ -n ${group} ]]; then
		gid=$(__sf_id group "${group}") || { eerror "${cmd}: invalid group: '${group}' (not in ${ROOT%/}/etc/group)"; return 1; }
	fi
	local list p
	list=$(__sf_expand "${rec}" "${files[@]}" | tr '\0' '\n') || exit 1
	local numeric=
	[[ ${uid} != -1 ]] && numeric=${uid}
	[[ ${gid} != -1 ]] && numeric+=:${gid}
	if [[ ${__SF_PRIVILEGED} == 1 ]]; then
		__sf_resolve_all "${files[@]}"
		command chown "${opts[@]}" "${numeric}" "${__SF_RESOLVED[@]}" || return
	fi
	while IFS= read -r p; do
		[[ -n ${p} ]] && __sf_intent chown "${p}" "${uid}:${gid}"
	done <<< "${list}"
	return 0
}
chown() { __sf_chown chown "$@"; }
chgrp() { __sf_chown chgrp "$@"; }

chmod() {
	local -a opts=() files=()
	local rec= mode= arg
	for arg in "$@"; do
		if [[ -z ${mode} && ${arg} == -[!rwxXst]* ]]; then
			[[ ${arg} == -R || ${arg} == --recursive ]] && rec=1
			opts+=("${arg}")
		elif [[ -z ${mode} ]]; then
			mode=${arg}
		else
			files+=("${arg}")
		fi
	done
	local p
	__sf_resolve_all "${files[@]}"
	command chmod "${opts[@]}" "${mode}" "${__SF_RESOLVED[@]}" || return
	while IFS= read -r -d '' p; do
		[[ -L ${p} ]] || __sf_intent chmod "${p}" "$(stat -c %04a -- "${p}")"
	done < <(__sf_expand "${rec}" "${files[@]}")
}

# Device nodes are never created here (phases run without CAP_MKNOD): they are recorded and the
# merge engine puts them into the file table (and on disk when it runs as root). FIFOs need no
# privilege and are made.
mknod() {
	local mode= name type major= minor=
	if [[ $1 == -m ]]; then
		mode=$2
		shift 2
	elif [[ $1 == --mode=* ]]; then
		mode=${1#--mode=}
		shift
	fi
	name=$1 type=$2 major=$3 minor=$4
	__sf_where "${name}" > /dev/null || exit 1
	if [[ ${type} == p ]]; then
		command mkfifo ${mode:+-m "${mode}"} "${name}" || return
	fi
	__sf_intent mknod "${name}" "${type} ${major:--} ${minor:--} ${mode:--}"
}

# setcap CAPS FILE, setcap -r FILE (remove: recorded with empty caps), setcap -v CAPS FILE (verify
# against what this run set, or the real tool when it acted).
setcap() {
	local -a real=("$@")
	local verify= remove=
	while [[ $1 == -* ]]; do
		case $1 in
			-v) verify=1 ;;
			-r) remove=1 ;;
			-n) shift ;;
		esac
		shift
	done
	local caps= file=$1
	[[ -z ${remove} ]] && { caps=$1; file=$2; }
	local w acts=
	w=$(__sf_where "${file}") || exit 1
	[[ ${__SF_PRIVILEGED} == 1 ]] && type -P setcap > /dev/null && acts=1
	if [[ -n ${verify} ]]; then
		[[ -n ${acts} ]] && { command setcap "${real[@]}"; return; }
		[[ $(grep -F -- "${w}"$'\t' "${__SF_STATE}/caps" 2> /dev/null | tail -n 1) == "${w}"$'\t'"${caps}" ]]
		return
	fi
	if [[ -n ${acts} ]]; then
		command setcap "${real[@]}" || return
	fi
	printf '%s\t%s\n' "${w}" "${caps}" >> "${__SF_STATE}/caps"
	__sf_intent setcap "${file}" "${caps}"
}

# ---- the few install helpers pkg_preinst may use on the image (D) ------------------------------

__sf_need_image() {
	[[ -n ${ED} ]] || die "$1: not allowed in pkg_${EBUILD_PHASE} (no image)"
}

dodir() {
	__sf_need_image dodir
	local d
	for d in "$@"; do
		mkdir -p "${ED%/}/${d#/}" || die -n "dodir ${d} failed" || return
	done
}
keepdir() {
	__sf_need_image keepdir
	local d
	for d in "$@"; do
		dodir "${d}" || return
		: > "${ED%/}/${d#/}/.keep_${CATEGORY}_${PN}-${SLOT%/*}" || die -n "keepdir ${d} failed" || return
	done
}
dosym() {
	__sf_need_image dosym
	local rel=
	[[ $1 == -r ]] && { rel=1; shift; }
	[[ $# -eq 2 ]] || die "dosym: expected two arguments"
	local target=$1 link=${ED%/}/${2#/}
	if [[ -n ${rel} ]]; then
		target=$(realpath -m --relative-to="/${2#/}/.." "${target}")
	fi
	mkdir -p "${link%/*}" && ln -snf "${target}" "${link}" || die -n "dosym ${target} ${2} failed"
}
# fowners/fperms: run CMD with every absolute argument taken inside the image (ED).
__sf_in_image() {
	local helper=$1 cmd=$2
	shift 2
	__sf_need_image "${helper}"
	local -a a=()
	local x
	for x in "$@"; do
		[[ ${x} == /* ]] && x=${ED%/}/${x#/}
		a+=("${x}")
	done
	"${cmd}" "${a[@]}" || die -n "${helper} failed"
}
fowners() { __sf_in_image fowners chown "$@"; }
fperms() { __sf_in_image fperms chmod "$@"; }
emake() {
	${MAKE:-make} ${MAKEOPTS} "$@" || die -n "emake failed"
}

# Account tools: accounts of acct-user/acct-group packages are created natively by stageforge,
# so the eclasses' calls only leave a note.
__sf_native_account() {
	printf ' * %s: accounts are managed natively by stageforge\n' "$1"
	printf '%s\0' "$*" >> "${__SF_STATE}/skipped"
	return 0
}
useradd() { __sf_native_account useradd "$@"; }
usermod() { __sf_native_account usermod "$@"; }
userdel() { __sf_native_account userdel "$@"; }
groupadd() { __sf_native_account groupadd "$@"; }
groupmod() { __sf_native_account groupmod "$@"; }
groupdel() { __sf_native_account groupdel "$@"; }

# Saves the environment after a phase for the next phase of the same install, as Portage does
# (e.g. the acct-user eclass passes _ACCT_USER_ADDED from pkg_preinst to pkg_postinst). Bash's own
# variables, readonly ones and this library's state are left out.
__sf_save_env() {
	local __sf_v
	local -a __sf_names=()
	for __sf_v in $(compgen -v); do
		case ${__sf_v} in
			BASH | BASH[A-Z_]* | EUID | UID | PPID | SHELLOPTS | FUNCNAME | GROUPS | PIPESTATUS | LINENO | \
				RANDOM | SRANDOM | SECONDS | HISTCMD | DIRSTACK | EPOCHSECONDS | EPOCHREALTIME | COMP_* | \
				OPTIND | OPTARG | OPTERR | PWD | OLDPWD | SHLVL | HOSTNAME | HOSTTYPE | MACHTYPE | OSTYPE | \
				IFS | PS[0-9] | _ | __sf_* | __SF_*) continue ;;
		esac
		[[ ${!__sf_v@a} == *r* ]] || __sf_names+=("${__sf_v}")
	done
	{
		declare -p "${__sf_names[@]}"
		declare -fp
	} > "$1.new" 2> /dev/null && mv -f "$1.new" "$1"
}
