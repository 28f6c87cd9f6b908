# stageforge: runs the phase drivers of a batch one after another, so the sandbox is set up once per batch and not
# once per phase. Requests come on standard input, three NUL-terminated fields each: DIR LOG DRIVER. Each runs as
# `bash DRIVER` in a forked child with an empty environment, in DIR, input from /dev/null, output appended to LOG;
# the answer is its exit status on a line. Confined (first argument 1), the server is PID 1 of the batch's PID
# namespace: after each phase it kills whatever the phase left running and empties the sandbox's /tmp (but for the
# directories leading to the writable ones bound there, given as further arguments), so every phase starts as in a
# sandbox of its own. It ends at the end of its input, or answers "bye" and ends after IDLE
# seconds (second argument) without a request.
# usage: phase-server.sh CONFINED IDLE BASH [WRITABLE...]
confined=$1
idle=$2
bash=$3
shift 3
writable=("$@")
shopt -s nullglob dotglob
echo ready
while :; do
	IFS= read -r -d '' -t "${idle}" dir || { echo bye; exit 0; }
	IFS= read -r -d '' log && IFS= read -r -d '' driver || exit 1
	(cd "${dir}" && exec -c "${bash}" --noprofile --norc "${driver}") < /dev/null >> "${log}" 2>&1
	status=$?
	if [[ ${confined} == 1 ]]; then
		kill -KILL -1 2> /dev/null
		wait
		for f in /tmp/*; do
			for w in "${writable[@]}"; do
				[[ ${w}/ == "${f}"/* ]] && continue 2
			done
			rm -rf -- "${f}"
		done
	fi
	echo "${status}"
done
