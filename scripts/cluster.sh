#!/usr/bin/env bash
# cluster.sh HOSTFILE [--launcher TEMPLATE] [-- pp-worker args...]
#
# Starts pp-worker processes on every host of HOSTFILE -- lines of
# "host slots" (slots = worker processes on that host; # starts a comment)
# -- through a launcher, waits for all of them, and stops them all when it
# exits or is interrupted.
#
# The launcher TEMPLATE is a command line: words split on blanks, quoted
# as in a shell ('...', "...", \) where a word holds blanks, nothing
# expanded (no $, no globs). In each word {host} becomes the host. The
# worker's command goes where {cmd} stands, as one word quoted for a POSIX
# shell, for a launcher that hands it to a shell; without {cmd} it follows
# the template, each argument a word of its own -- quoted for the remote
# shell, as one word, when the template runs ssh, rsh, autossh or pdsh
# (they join their arguments with spaces for the remote user's shell).
#
#   default   ssh -tt {host}            (-tt: the remote dies with ssh)
#   netns     ip netns exec {host}      (tests, one namespace a host)
#   others    timeout 12h ssh -o 'ProxyJump gw' {host}
#             docker exec {host}
#             sh -c {cmd}               (every "host" here, for a try)
#   slurm     see scripts/slurm/pushpull.sbatch
#
# So every argument after -- reaches pp-worker as it was given here.
# Export PP_TASKS, PP_RESULTS, PP_CONTROL, PP_ACKS before: they are passed
# on the worker's command line, so the remote side needs no environment.
# PP_WORKER (default: pp-worker on the remote PATH) names the binary.
#
#   PP_TASKS=tcp://head:5557 ... scripts/cluster.sh hosts.txt -- --job square
#   ... scripts/cluster.sh hosts.txt -- -- sh -c 'wc -c < {}'
#       (a command: the second -- is pp-worker's)
set -u
shopt -u patsub_replacement 2>/dev/null # bash 5.2: & in ${x//p/r}'s r is r
usage() {
    echo "usage: $0 HOSTFILE [--launcher TEMPLATE] [-- pp-worker args...]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
hostfile=$1
shift
launcher='ssh -tt {host}'
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    case $1 in
        --launcher) [ $# -ge 2 ] || usage; launcher=$2; shift 2 ;;
        *) usage ;;
    esac
done
[ $# -gt 0 ] && shift
[ -r "$hostfile" ] || { echo "$0: cannot read $hostfile" >&2; exit 2; }
# The template's words, parsed as documented above (xargs's quoting:
# nothing is expanded, an unmatched quote is an error).
[[ $launcher == *[![:space:]]* ]] ||
    { echo "$0: --launcher '$launcher': an empty command" >&2; exit 2; }
if ! mapfile -d '' template < <(printf '%s' "$launcher" | xargs printf '%s\0') ||
    ! wait $!; then
    echo "$0: --launcher '$launcher': not a command line (a quote unmatched?)" >&2
    exit 2
fi
# How the worker's command goes to the launcher: at {cmd}, quoted after
# a remote-shell launcher, else as words.
mode=words
for word in "${template[@]}"; do
    case ${word##*/} in ssh | rsh | autossh | pdsh) mode=quoted ;; esac
done
for word in "${template[@]}"; do
    [[ $word == *"{cmd}"* ]] && mode=placeholder
done
worker=${PP_WORKER:-pp-worker}
endpoints=()
for var in TASKS RESULTS CONTROL ACKS; do
    name=PP_$var
    flag=--$(echo "$var" | tr 'A-Z' 'a-z')
    [ -n "${!name:-}" ] && endpoints+=("$flag" "${!name}")
done

# quote WORDS...: the words as one POSIX shell command line, each in
# single quotes (' as '\''), for a launcher that runs its command through
# a shell (ssh joins its arguments with spaces for the remote shell: an
# sh -c 'a b' would arrive as sh -c a b).
quote() {
    local word out=()
    for word; do
        out+=("'${word//\'/\'\\\'\'}'")
    done
    printf '%s' "${out[*]}"
}

pids=()
# shellcheck disable=SC2317 # a trap handler
stop_all() {
    local pid alive=0
    trap - EXIT INT TERM
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null && alive=1; done
    ((alive)) || return 0
    sleep 0.5
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
}
trap stop_all EXIT
trap 'exit 130' INT TERM

lineno=0
while read -r host slots rest; do
    lineno=$((lineno + 1))
    case $host in '' | '#'*) continue ;; esac
    slots=${slots:-1}
    case $slots in *[!0-9]* | 0)
        echo "$0: $hostfile:$lineno: slots '$slots' is not a count" >&2
        exit 2 ;;
    esac
    [ -z "$rest" ] || { echo "$0: $hostfile:$lineno: extra '$rest'" >&2; exit 2; }
    line=$(quote "$worker" "${endpoints[@]}" "$@")
    cmd=()
    for word in "${template[@]}"; do
        word=${word//\{host\}/$host}
        cmd+=("${word//\{cmd\}/$line}")
    done
    case $mode in
        quoted) cmd+=("$line") ;;
        words) cmd+=("$worker" "${endpoints[@]}" "$@") ;;
    esac
    for _ in $(seq 1 "$slots"); do
        "${cmd[@]}" &
        pids+=("$!")
    done
    echo "cluster: $slots worker(s) on $host" >&2
done <"$hostfile"
[ ${#pids[@]} -gt 0 ] || { echo "$0: no hosts in $hostfile" >&2; exit 2; }

rc=0
for pid in "${pids[@]}"; do
    wait "$pid" || rc=$?
done
exit "$rc"
