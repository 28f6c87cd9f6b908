#!/usr/bin/env bash
# `stageforge serve` against Debian's nginx serving the same files, in one run, from the built jar (offline; build it
# first with mvn -q -DskipTests package). Packages are made here (small GPKGs from `stageforge binhost create`);
# nothing from ../shared is needed. Installs nothing: says what is missing (nginx, wrk, curl) and exits 1.
#  1. Push + index: `stageforge binhost push` of 100 packages into one binhost and of 1,000 into another (timed).
#  2. Index update for one more package at the two sizes: single PUTs with curl, alternating between the binhost of
#     ~100 and the one of ~1,000 packages; min and median of each, and their ratio (goal: ~1, the cost does not
#     grow with the binhost).
#  3. Serving: the 1,000-package binhost's Packages and a 50 MiB package, fetched from stageforge and put under
#     an nginx root at the same paths (sendfile on, tcp_nopush on, access log on: Debian's nginx.conf settings),
#     loaded by `wrk -c64 --latency`; rounds alternate the two servers and which goes first; requests/s is the
#     best round of each, p99 the lowest. Goal: stageforge >= 0.8x nginx.
# Usage: bench/serve.sh [ROUNDS [SECONDS [CONNECTIONS]]]   (defaults 3, 10, 64)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-10}
CONNS=${3:-64}
SF=${STAGEFORGE:-$PWD/bin/stageforge} # another build to compare: STAGEFORGE=/path/to/bin/stageforge
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench/serve.sh: missing ${missing[*]} (Debian: apt-get install ${missing[*]})" >&2
  exit 1
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -n "${STAGEFORGE:-}" ] || [ -f target/stageforge.jar ] || { echo "build the jar first: mvn -q -DskipTests package" >&2; exit 1; }
W=$(realpath -m target/serve-bench)
rm -rf "$W" && mkdir -p "$W"
SF_PID= NGINX_PID=
cleanup() {
  [ -z "$SF_PID" ] || kill "$SF_PID" 2>/dev/null || true
  [ -z "$NGINX_PID" ] || kill "$NGINX_PID" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
now() { date +%s.%N; }
EXTRA=$((2 * ROUNDS + 4)) # packages for the one-more measurements

# --- packages: source trees CAT/PF/{metadata,image}, built by one `stageforge binhost create` -------------------
echo "== making 1,000 + $EXTRA small GPKGs and one of 50 MiB"
mktree() { # DIR CAT PN VERSION IMAGE_BYTES
  local d=$1/$2/$3-$4
  mkdir -p "$d/metadata" "$d/image/usr/share/$3"
  printf '%s\n' "$2" > "$d/metadata/CATEGORY"
  printf '%s\n' "$3-$4" > "$d/metadata/PF"
  printf '0\n' > "$d/metadata/SLOT"
  printf '8\n' > "$d/metadata/EAPI"
  printf 'amd64\n' > "$d/metadata/KEYWORDS"
  printf 'gentoo\n' > "$d/metadata/repository"
  printf 'x86_64-pc-linux-gnu\n' > "$d/metadata/CHOST"
  printf '1700000000\n' > "$d/metadata/BUILD_TIME"
  printf 'GPL-2+ LGPL-2.1+\n' > "$d/metadata/LICENSE"
  printf 'Benchmark package %s of the serve benchmark, about as long as a real description\n' "$3" > "$d/metadata/DESCRIPTION"
  printf 'compile configure install prepare setup test unpack\n' > "$d/metadata/DEFINED_PHASES"
  printf 'acl nls static-libs test xattr\n' > "$d/metadata/IUSE"
  printf 'abi_x86_64 amd64 elibc_glibc kernel_linux acl nls xattr\n' > "$d/metadata/USE"
  printf '>=sys-libs/glibc-2.36 sys-apps/acl:= virtual/libintl >=dev-libs/%s-lib-1.2:0=\n' "$3" > "$d/metadata/RDEPEND"
  head -c "$5" /dev/urandom > "$d/image/usr/share/$3/data"
}
for i in $(seq -w 0 999); do mktree "$W/src/main" "bench-c${i:0:1}" "pkg$i" 1.0 4096; done
for i in $(seq -w 1 "$EXTRA"); do mktree "$W/src/extra" bench-more "more$i" 1.0 4096; done
mktree "$W/src/huge" bench-big huge 1.0 $((50 * 1024 * 1024))
for s in main extra huge; do
  "$SF" binhost create --quiet --source-date-epoch 1700000000 --from "$W/src/$s" -o "$W/pkg/$s"
done
rm -rf "$W/src"
mkdir -p "$W/pkg/first100"
find "$W/pkg/main" -name '*.gpkg.tar' | sort > "$W/pkg/main.txt"
head -100 "$W/pkg/main.txt" | while IFS= read -r f; do
  r=${f#"$W"/pkg/main/}; mkdir -p "$W/pkg/first100/$(dirname "$r")"; ln "$f" "$W/pkg/first100/$r"
done
HUGE=$(find "$W/pkg/huge" -name '*.gpkg.tar')
echo "   small GPKG: $(stat -c %s "$(head -1 "$W/pkg/main.txt")") bytes; big: $(stat -c %s "$HUGE") bytes"

# --- server ---------------------------------------------------------------------------------------------------
D=$W/data
"$SF" server binhost create --data "$D" b100 >/dev/null
"$SF" server binhost create --data "$D" b1000 >/dev/null
"$SF" server token create --data "$D" --scope admin --name bench > "$W/token" 2>/dev/null
TOKEN=$(cat "$W/token")
"$SF" serve --data "$D" --listen 127.0.0.1:0 > "$W/serve.out" 2> "$W/serve.err" &
SF_PID=$!
for _ in $(seq 300); do grep -q '^serving' "$W/serve.out" 2>/dev/null && break; sleep 0.1; done
SF_URL=$(sed -n 's/^serving .* on //p' "$W/serve.out")
[ -n "$SF_URL" ] || { echo "stageforge serve did not start:" >&2; cat "$W/serve.err" >&2; exit 1; }
echo "== stageforge serve at $SF_URL (pid $SF_PID)"

push() { # BINHOST DIR
  "$SF" binhost push "$2" --server "$SF_URL" --binhost "$1" --token-file "$W/token" --quiet
}
t0=$(now); push b100 "$W/pkg/first100"; t1=$(now); push b1000 "$W/pkg/main"; t2=$(now)
n100=$(curl -sSf "$SF_URL/binhost/b100/Packages" | grep -c '^CPV:')
n1000=$(curl -sSf "$SF_URL/binhost/b1000/Packages" | grep -c '^CPV:')
[ "$n100" = 100 ] && [ "$n1000" = 1000 ] || { echo "index holds $n100 and $n1000 packages, not 100 and 1000" >&2; exit 1; }
printf '== push + index (binhost push -j4, JVM start included): 100 packages %.2f s, 1,000 packages %.2f s (%.1f ms per package)\n' \
  "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$(echo "($t2 - $t1) * 1000 / 1000" | bc -l)"

put() { # BINHOST FILE: seconds of one upload (HTTP 201 required)
  local r=${2#"$W"/pkg/*/} out
  out=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}' -T "$2" -H "Authorization: Bearer $TOKEN" \
    "$SF_URL/binhost/$1/upload/$(dirname "$(dirname "$r")")/$(basename "$r")")
  [ "${out%% *}" = 201 ] || { echo "upload of $r to $1: HTTP ${out%% *}" >&2; exit 1; }
  echo "${out#* }"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "== one more package (PUT of a $(find "$W/pkg/extra" -name '*.gpkg.tar' -printf '%s\n' | sort -n | tail -1)-byte GPKG: receive, verify, store, index, publish), alternated"
: > "$W/more100"; : > "$W/more1000"
i=0
for f in $(find "$W/pkg/extra" -name '*.gpkg.tar' | sort); do
  i=$((i + 1))
  if [ $((i % 2)) = 1 ]; then a=$(put b100 "$f"); b=$(put b1000 "$f"); else b=$(put b1000 "$f"); a=$(put b100 "$f"); fi
  echo "$a" >> "$W/more100"; echo "$b" >> "$W/more1000"
  printf '   %2d: at %d packages %.1f ms, at %d packages %.1f ms\n' "$i" $((99 + i)) "$(echo "$a * 1000" | bc)" $((999 + i)) "$(echo "$b * 1000" | bc)"
done
m100=$(median < "$W/more100"); m1000=$(median < "$W/more1000")
printf '   median: ~100 packages %.1f ms (min %.1f), ~1,000 packages %.1f ms (min %.1f): ratio %.2f (goal: ~1, no growth with size)\n' \
  "$(echo "$m100 * 1000" | bc)" "$(echo "$(sort -n "$W/more100" | head -1) * 1000" | bc)" \
  "$(echo "$m1000 * 1000" | bc)" "$(echo "$(sort -n "$W/more1000" | head -1) * 1000" | bc)" "$(echo "$m1000 / $m100" | bc -l)"

# --- the same files under nginx -------------------------------------------------------------------------------
put b1000 "$HUGE" >/dev/null
HUGE_PATH=binhost/b1000/bench-big/huge/$(basename "$HUGE")
R=$W/nginx/root
mkdir -p "$R/binhost/b1000/bench-big/huge" "$W/nginx/tmp" "$W/nginx/logs"
curl -sSf -o "$R/binhost/b1000/Packages" "$SF_URL/binhost/b1000/Packages"
curl -sSf -o "$R/$HUGE_PATH" "$SF_URL/$HUGE_PATH"
cmp -s "$R/$HUGE_PATH" "$HUGE" || { echo "served package differs from the pushed one" >&2; exit 1; }
user_line=
[ "$(id -u)" != 0 ] || user_line="user $(id -un) $(id -gn);" # workers run as the current user, not www-data/nobody
start_nginx() { # PORT
  cat > "$W/nginx/nginx.conf" <<EOF
# Debian's /etc/nginx/nginx.conf settings, confined to $W/nginx
$user_line
worker_processes auto;
pid $W/nginx/nginx.pid;
daemon off;
error_log $W/nginx/logs/error.log;
events { worker_connections 768; }
http {
  sendfile on;
  tcp_nopush on;
  types_hash_max_size 2048;
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log $W/nginx/logs/access.log;
  gzip on;
  client_body_temp_path $W/nginx/tmp/body;
  proxy_temp_path $W/nginx/tmp/proxy;
  fastcgi_temp_path $W/nginx/tmp/fastcgi;
  uwsgi_temp_path $W/nginx/tmp/uwsgi;
  scgi_temp_path $W/nginx/tmp/scgi;
  server {
    listen 127.0.0.1:$1;
    root $R;
  }
}
EOF
  "$NGINX" -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/logs/error.log" &
  NGINX_PID=$!
  for _ in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$1/binhost/b1000/Packages" && return 0
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; NGINX_PID=
  return 1
}
for _ in $(seq 20); do port=$((20000 + RANDOM % 30000)); start_nginx "$port" && break; done
[ -n "$NGINX_PID" ] || { echo "nginx did not start:" >&2; cat "$W/nginx/logs/error.log" >&2; exit 1; }
NG_URL=http://127.0.0.1:$port
echo "== nginx $("$NGINX" -v 2>&1 | sed 's/.*\///') at $NG_URL (pid $NGINX_PID), $(nproc) CPUs, wrk -t2 -c$CONNS -d${SECS}s --latency"
for u in "$SF_URL" "$NG_URL"; do
  curl -sSf "$u/binhost/b1000/Packages" | cmp -s - "$R/binhost/b1000/Packages" || { echo "$u serves another Packages" >&2; exit 1; }
done

# --- load -----------------------------------------------------------------------------------------------------
load() { # NAME URL: one wrk run; appends "rps p99_ms" to $W/NAME
  local out rps p99 errs
  out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" --timeout 30s --latency "$2")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<< "$out")
  p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else if (v ~ /s$/) v = v * 1000; print v}' <<< "$out")
  errs=$(grep -E 'Non-2xx|Socket errors' <<< "$out" || true)
  [ -z "$errs" ] || echo "   $1: $errs" >&2
  echo "$rps $p99" >> "$W/$1"
  printf '%s %s' "$rps" "$p99"
}
for u in "$SF_URL" "$NG_URL"; do # warm up (the JVM compiles the serving path) and fill the page cache
  wrk -t2 -c"$CONNS" -d3s "$u/binhost/b1000/Packages" >/dev/null
  wrk -t2 -c"$CONNS" -d3s --timeout 30s "$u/$HUGE_PATH" >/dev/null
done
for r in $(seq "$ROUNDS"); do
  for what in Packages huge; do
    path=binhost/b1000/Packages; [ "$what" = Packages ] || path=$HUGE_PATH
    if [ $(((r + ${#what}) % 2)) = 0 ]; then
      s=$(load "sf-$what" "$SF_URL/$path"); n=$(load "ng-$what" "$NG_URL/$path")
    else
      n=$(load "ng-$what" "$NG_URL/$path"); s=$(load "sf-$what" "$SF_URL/$path")
    fi
    printf '   round %d %-8s stageforge %9.1f req/s p99 %8.2f ms | nginx %9.1f req/s p99 %8.2f ms\n' "$r" "$what" $s $n
  done
done
best() { sort -k1,1 -g "$W/$1" | tail -1 | cut -d' ' -f1; }
lowp99() { sort -k2,2 -g "$W/$1" | head -1 | cut -d' ' -f2; }
echo "== best of $ROUNDS rounds (requests/s), lowest p99; $CONNS connections"
for what in Packages huge; do
  label=$what; [ "$what" = Packages ] || label="$(($(stat -c %s "$HUGE") / 1048576)) MiB package"
  [ "$what" = Packages ] && label="Packages ($(stat -c %s "$R/binhost/b1000/Packages") bytes, 1,000+ entries)"
  printf '%s: stageforge %.1f req/s (p99 %.2f ms), nginx %.1f req/s (p99 %.2f ms): ratio %.2f (goal >= 0.8)\n' "$label" \
    "$(best "sf-$what")" "$(lowp99 "sf-$what")" "$(best "ng-$what")" "$(lowp99 "ng-$what")" \
    "$(echo "$(best "sf-$what") / $(best "ng-$what")" | bc -l)"
done
