#!/usr/bin/env bash
# scripts/slurm/pushpull.sbatch under stand-ins for sbatch, srun and
# scontrol on PATH (sbatch sets SLURM_* and runs the script; srun records
# its command line and runs the command --ntasks times here; scontrol
# lists the nodes). Asserted: the head runs as a step of one task on the
# first node before the workers' step of SLURM_NTASKS - 1 tasks; the
# workers get the arguments given after --worker, quoting intact (an
# argument with spaces and quotes); the ports are the job's block of the
# range below the ephemeral one, and a block in use is passed over; the
# run's result is exact; bad settings are exit 2 naming them.
. "$(dirname "$0")/lib.sh"

fake=$TEST_DIR/bin
mkdir -p "$fake"
export FAKE_SLURM_LOG=$TEST_DIR/srun.log
cat >"$fake/sbatch" <<'EOF'
#!/usr/bin/env bash
# sbatch --wait, here: SLURM_* from the options, the script run at once.
export SLURM_NTASKS=1 SLURM_CPUS_PER_TASK=1
while [ $# -gt 0 ]; do
    case $1 in
        --ntasks=*) SLURM_NTASKS=${1#*=} ;;
        --cpus-per-task=*) SLURM_CPUS_PER_TASK=${1#*=} ;;
        -*) ;;
        *) break ;;
    esac
    shift
done
export SLURM_JOB_ID=$FAKE_JOB_ID SLURM_JOB_NODELIST=localhost SLURM_NNODES=1
exec bash "$@"
EOF
cat >"$fake/srun" <<'EOF'
#!/usr/bin/env bash
# Records its command line, runs the command --ntasks times on this host
# (each task sees SLURM_PROCID; a process group each), passes TERM and INT
# on to every process of every task (as slurmstepd signals every process
# of a step), exits with a failing task's status.
{ printf '%q ' srun "$@"; echo; } >>"$FAKE_SLURM_LOG"
n=1
while [ $# -gt 0 ]; do
    case $1 in
        --ntasks=*) n=${1#*=} ;;
        -*) ;;
        *) break ;;
    esac
    shift
done
pids=()
for ((i = 0; i < n; i++)); do
    SLURM_PROCID=$i setsid "$@" &
    pids+=("$!")
done
trap 'for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done' TERM INT
rc=0
for pid in "${pids[@]}"; do
    while wait "$pid"; r=$?; kill -0 "$pid" 2>/dev/null; do :; done
    ((r == 0)) || rc=$r
done
exit "$rc"
EOF
cat >"$fake/scontrol" <<'EOF'
#!/bin/sh
[ "$1 $2" = "show hostnames" ] && echo "$3" | tr ',' '\n'
EOF
chmod +x "$fake"/*
export PATH=$fake:$BIN_DIR:$PATH
sbatch_script=$ROOT/scripts/slurm/pushpull.sbatch

# The range the script takes its ports from, as it documents it.
read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range
if ((eph_lo > 10004)); then lo=10000 hi=$((eph_lo - 1)); else lo=$((eph_hi + 1)) hi=65535; fi
blocks=$(((hi - lo + 1) / 4))
# block_free PORT: none of PORT..PORT+3 is listened on.
block_free() {
    local p
    for p in "$1" $(($1 + 1)) $(($1 + 2)) $(($1 + 3)); do
        s_listening "tcp://127.0.0.1:$p" && return 1
    done
    return 0
}
# A job id whose block and the next one are free.
for _ in $(seq 1 100); do
    job=$((RANDOM * 32768 + RANDOM))
    port=$((lo + 4 * (job % blocks)))
    next=$((lo + 4 * ((job + 1) % blocks)))
    block_free "$port" && block_free "$next" && break
done

# 1. The pipeline: sum of squares over 3 worker tasks, 2 threads each.
N=5000
stats=$TEST_DIR/stats.json
FAKE_JOB_ID=$job BIN_DIR=$fake pp_start job1 sbatch --ntasks=4 --cpus-per-task=2 \
    "$sbatch_script" --generate $N --sink --sum --stats-json "$stats" \
    --worker --job square
expect_exit "$LAST_PID" 60 0
assert_eq "$(sum_of_squares $N)" "$(cat "$(out_of job1)")" "sum over the job"
assert_contains "$(err_of job1)" \
    "pushpull: job $job: head localhost, ports $port-$((port + 3))" "ports said"
((port >= lo && port + 3 <= hi && (port + 3 < eph_lo || port > eph_hi))) ||
    fail "ports $port.. inside the ephemeral range $eph_lo-$eph_hi"
mapfile -t steps <"$FAKE_SLURM_LOG"
assert_eq 2 "${#steps[@]}" "srun steps"
assert_eq "srun --nodes=1 --ntasks=1 --nodelist=localhost --exact bash $sbatch_script --generate $N --sink --sum --stats-json $stats --worker --job square " \
    "${steps[0]:-}" "the head step"
assert_eq "srun --ntasks=3 --cpus-per-task=2 --exact pp-worker --flow credit --threads 2 --job square " \
    "${steps[1]:-}" "the workers' step"

# 2. Worker arguments with spaces and quotes reach pp-worker intact: a
# command job whose script prints each item; the block of the job is in
# use, so the next one is taken.
: >"$FAKE_SLURM_LOG"
printf '%s\n' 'a b' "it's" 'say "hi"' >"$TEST_DIR/items"
python3 -c 'import socket, sys, time
s = socket.socket()   # job 1 just used the port: TIME_WAIT
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
open(sys.argv[2], "w").close(); time.sleep(60)' "$((port + 2))" "$TEST_DIR/held" &
holder=$!
for _ in $(seq 1 250); do [[ -e $TEST_DIR/held ]] && break; sleep 0.02; done
[[ -e $TEST_DIR/held ]] || die "cannot hold port $((port + 2))"
FAKE_JOB_ID=$job BIN_DIR=$fake pp_start job2 sbatch --ntasks=2 \
    "$sbatch_script" "$TEST_DIR/items" --sink --ordered \
    --worker -- sh -c 'printf "<%s> [%s]\n" {} "$0"' 'x  y'
expect_exit "$LAST_PID" 60 0
kill "$holder"
wait "$holder" 2>/dev/null
assert_eq "<a b> [x  y]
<it's> [x  y]
<say \"hi\"> [x  y]" "$(cat "$(out_of job2)")" "items through the job's workers"
assert_contains "$(err_of job2)" "ports in use on localhost: $port-$((port + 3))" \
    "the block in use said"
assert_contains "$(err_of job2)" "head localhost, ports $next-$((next + 3))" \
    "the next block taken"
assert_eq "srun --ntasks=1 --cpus-per-task=1 --exact pp-worker --flow credit --threads 1 -- sh -c $(printf '%q' 'printf "<%s> [%s]\n" {} "$0"') $(printf '%q' 'x  y') " \
    "$(sed -n 2p "$FAKE_SLURM_LOG")" "the workers' step, quoting intact"

# 3. Usage errors, before anything starts: exit 2 naming the setting.
FAKE_JOB_ID=$job BIN_DIR=$fake pp_start one sbatch --ntasks=1 "$sbatch_script" \
    --generate 10 --worker --job square
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of one)" "SLURM_NTASKS=1: needs 2 tasks at least" "one task"
FAKE_JOB_ID=$job BIN_DIR=$fake pp_start noworker sbatch --ntasks=2 "$sbatch_script" \
    --generate 10
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of noworker)" "after --worker" "no --worker"
PP_SLURM_PORTS=$eph_lo-$((eph_lo + 10)) FAKE_JOB_ID=$job BIN_DIR=$fake \
    pp_start eph sbatch --ntasks=2 "$sbatch_script" --generate 10 --worker --job square
expect_exit "$LAST_PID" 10 2
assert_contains "$(err_of eph)" "PP_SLURM_PORTS='$eph_lo-$((eph_lo + 10))' overlaps the ephemeral range" \
    "a range in the ephemeral one"

# 4. Every worker task ends before the run (here: a --flow the ventilator
# does not run): the head is stopped, not left waiting for workers.
FAKE_JOB_ID=$job BIN_DIR=$fake pp_start lost sbatch --ntasks=3 "$sbatch_script" \
    --generate 10 --worker --flow push --job square
expect_exit "$LAST_PID" 30 3
assert_contains "$(err_of lost)" "every worker task ended (status 2) and the head did not: stopping the head" \
    "workers gone said"

# 5. The batch shell's SIGTERM (scancel --batch --signal=TERM, or
# --signal=B:TERM@T before the time limit) drains the run through the head
# step: exit 0, and the output is exactly the records read.
. "$(dirname "$0")/ctl_lib.sh"
FAKE_JOB_ID=$job BIN_DIR=$fake pp_start drain sbatch --ntasks=3 "$sbatch_script" \
    --generate 1000000 --rate 2000 --sink --ordered --worker --job echo
drain=$LAST_PID
wait_for_lines "$(out_of drain)" 200 30
signal_bin TERM "$drain"
expect_exit "$drain" 30 0
got=$(wc -l <"$(out_of drain)")
assert_contains "$(err_of drain)" "draining: stopped after record $got;" \
    "drained: every record read is in the output"
assert_exact_set "$(out_of drain)" "$got"

# 6. The sink cannot start (a flag it does not know): the ventilator is
# aborted, not left waiting for it; the job exits with the sink's 2.
FAKE_JOB_ID=$job BIN_DIR=$fake pp_start badsink sbatch --ntasks=2 "$sbatch_script" \
    --generate 10 --sink --bogus --worker --job square
expect_exit "$LAST_PID" 30 2
assert_contains "$(err_of badsink)" "pushpull: ventilator exit 3, sink exit 2" \
    "the head's exits"
