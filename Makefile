# pushpull -- plain GNU make. Every artifact goes under build/.
#   make            library and the three binaries
#   make test       unit tests (cmocka) and end-to-end tests
#   make check-asan the whole suite under AddressSanitizer + UBSan
#   make check-tsan channel and worker tests under ThreadSanitizer
#   make demo       install deps if missing, build, run a local pipeline

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
PKGS      = libzmq libczmq
VERSION   = 0.1.0

WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wformat=2
OPT      ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -DPP_VERSION=\"$(VERSION)\" $(WARN) \
            $(OPT) -pthread -Icommon $(shell pkg-config --cflags $(PKGS))
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -pthread
TEST_LIBS = $(shell pkg-config --libs cmocka)

LIB_SRC   = $(wildcard common/*.c)
LIB_OBJ   = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB       = $(BUILD)/libpushpull.a
# The shared library: the same sources compiled apart with -fPIC, exporting
# only the public API (common/libpushpull.map). SOMAJOR is the ABI: bump it
# when a change breaks programs built before (see the map file). The
# binaries and the tests link the static library, not this one: they use
# its private modules (channels, wire, sockets, config), which it hides.
SOMAJOR   = 0
SONAME    = libpushpull.so.$(SOMAJOR)
SHLIB     = $(BUILD)/libpushpull.so.$(VERSION)
SHLIB_MAP = common/libpushpull.map
PIC_OBJ   = $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
SHLIB_LNK = $(BUILD)/$(SONAME) $(BUILD)/libpushpull.so
# Command-line parsing lives with the programs: cli/ is linked into the
# three binaries and the tests, never into the library, never installed.
CLI_SRC   = $(wildcard cli/*.c)
CLI_OBJ   = $(CLI_SRC:%.c=$(BUILD)/%.o)
CLI_LIB   = $(BUILD)/libppcli.a
# The installed API: pushpull.h and exactly the headers it includes.
PUBLIC_H  = common/pushpull.h common/pp_chan.h common/pp_error.h \
            common/pp_job.h common/pp_worker.h
BINS      = $(BUILD)/pp-ventilator $(BUILD)/pp-worker $(BUILD)/pp-sink
UNIT_SRC  = $(wildcard tests/test_*.c)
UNIT_BINS = $(UNIT_SRC:tests/%.c=$(BUILD)/tests/%)

.PHONY: all test unit e2e check-asan check-tsan demo clean format \
        format-check install deps deps-test
all: $(LIB) $(SHLIB_LNK) $(CLI_LIB) $(BINS)

$(BUILD)/%.o: %.c $(wildcard common/*.h */*.h)
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(CFLAGS) -c $< -o $@

# Only the programs' and the tests' sources see cli/.
$(BUILD)/cli/%.o $(BUILD)/ventilator/%.o $(BUILD)/worker/%.o \
$(BUILD)/sink/%.o $(BUILD)/tests/%.o: \
  CFLAGS += -Icli

# An archive is made afresh when its member list (the Makefile) changes.
$(LIB): $(LIB_OBJ) Makefile
	@rm -f $@
	@echo "  AR  $@"
	@ar rcs $@ $(filter %.o,$^)

# The shared library's objects: -fPIC, in $(BUILD)/pic/, apart from the
# static library's (and the binaries'), which stay as they were.
$(BUILD)/pic/%.o: %.c $(wildcard common/*.h */*.h)
	@mkdir -p $(dir $@)
	@echo "  CC  $< (-fPIC)"
	@$(CC) $(CFLAGS) -fPIC -c $< -o $@

$(SHLIB): $(PIC_OBJ) $(SHLIB_MAP) Makefile
	@echo "  LD  $@"
	@$(CC) -shared $(CFLAGS) $(LDFLAGS) -Wl,-soname,$(SONAME) \
	  -Wl,--version-script=$(SHLIB_MAP) -Wl,--no-undefined -o $@ \
	  $(filter %.o,$^) $(LDLIBS)

# The links a program finds it by: the SONAME at run time, the bare name
# (-lpushpull) at link time.
$(SHLIB_LNK): $(SHLIB)
	@ln -sf $(notdir $<) $@

$(CLI_LIB): $(CLI_OBJ) Makefile
	@rm -f $@
	@echo "  AR  $@"
	@ar rcs $@ $(filter %.o,$^)

# Each binary is every .c file of its folder plus the library.
.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/pp-%: $$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard $$*/*.c))) \
               $(CLI_LIB) $(LIB)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CLI_LIB) $(LIB) \
	  $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(CLI_LIB) $(LIB)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(CLI_LIB) $(LIB) \
	  $(TEST_LIBS) $(LDLIBS)

# A test of a binary's private part links that part too.
$(BUILD)/tests/test_input: $(BUILD)/ventilator/input.o
EXEC_OBJ  = $(patsubst %.c,$(BUILD)/%.o,$(wildcard worker/exec*.c))
$(BUILD)/tests/test_exec: $(EXEC_OBJ)
$(BUILD)/tests/test_exec_status: $(EXEC_OBJ)
$(BUILD)/tests/test_exec_argv: $(BUILD)/worker/exec_argv.o
$(BUILD)/tests/test_exec_child: $(BUILD)/worker/exec_child.o
$(BUILD)/tests/test_exec_errlog: $(BUILD)/worker/exec_errlog.o
$(BUILD)/tests/test_fds: $(BUILD)/worker/fds.o
$(BUILD)/tests/test_window: $(BUILD)/ventilator/window.o \
                            $(BUILD)/ventilator/pool.o
$(BUILD)/tests/test_feed: $(BUILD)/ventilator/feed.o \
                          $(BUILD)/ventilator/input.o $(BUILD)/ventilator/pool.o
$(BUILD)/tests/test_batch: $(BUILD)/ventilator/batch.o \
                           $(BUILD)/ventilator/window.o \
                           $(BUILD)/ventilator/feed.o \
                           $(BUILD)/ventilator/input.o $(BUILD)/ventilator/pool.o
$(BUILD)/tests/test_peers: $(BUILD)/ventilator/peers.o
$(BUILD)/tests/test_ids: $(BUILD)/ventilator/ids.o
$(BUILD)/tests/test_run: $(BUILD)/ventilator/run.o $(BUILD)/ventilator/ids.o \
                         $(BUILD)/ventilator/feed.o \
                         $(BUILD)/ventilator/window.o \
                         $(BUILD)/ventilator/input.o $(BUILD)/ventilator/pool.o
$(BUILD)/tests/test_vjournal: $(BUILD)/ventilator/journal.o
$(BUILD)/tests/test_ledger: $(BUILD)/sink/ledger.o
$(BUILD)/tests/test_acks: $(BUILD)/sink/acks.o $(BUILD)/sink/ledger.o
$(BUILD)/tests/test_journal: $(BUILD)/sink/journal.o $(BUILD)/sink/replay.o \
                           $(BUILD)/sink/ledger.o
$(BUILD)/tests/test_halt: $(BUILD)/sink/halt.o
$(BUILD)/tests/test_progress: $(BUILD)/sink/progress.o
$(BUILD)/tests/test_joblog: $(BUILD)/sink/joblog.o $(BUILD)/sink/logfile.o

# Unit tests print cmocka's summary; end-to-end tests run the real binaries.
# Each unit binary has a bound: a test that hangs fails instead of holding CI.
unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; timeout -k 5 300 $$t; done

TOOLS     = $(BUILD)/tests/tools/pp_rogue

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(CLI_LIB) $(LIB)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(CLI_LIB) $(LIB) $(LDLIBS)

e2e: all $(TOOLS)
	@BUILD=$(BUILD) bash tests/e2e/run.sh

# make test installs what it needs first (only what is missing).
test: deps-test
	@$(MAKE) --no-print-directory unit e2e

deps-test:
	@bash scripts/install-deps.sh --test

# Sanitizer builds live in their own trees so they never mix with build/.
check-asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer \
	  -fsanitize=address,undefined -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" test

check-tsan:
	$(MAKE) BUILD=build/tsan OPT="-O1 -g -fsanitize=thread" \
	  LDFLAGS="-fsanitize=thread" all build/tsan/tests/test_chan \
	  build/tsan/tests/test_overflow build/tsan/tests/test_slice \
	  build/tsan/tests/test_worker_api \
	  build/tsan/tests/test_exec
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1" \
	  build/tsan/tests/test_chan
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1" \
	  build/tsan/tests/test_overflow
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1" \
	  build/tsan/tests/test_slice
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1" \
	  build/tsan/tests/test_worker_api
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1" \
	  build/tsan/tests/test_exec
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp halt_on_error=1" \
	  BUILD=build/tsan PP_E2E_ONLY='basic|overflow_worker|kill9|serve|credit|exec_pipe|worker_signals|worker_no_sink|worker_sink_lost' \
	  bash tests/e2e/run.sh

deps:
	@bash scripts/install-deps.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash scripts/demo.sh

FORMAT_SRC = common/*.[ch] cli/*.[ch] ventilator/*.[ch] worker/*.[ch] \
             sink/*.[ch] \
             tests/*.c tests/tools/*.c tests/fuzz/*.c examples/*.c bench/*.c

format:
	clang-format -i $(FORMAT_SRC)

format-check:
	clang-format --dry-run --Werror $(FORMAT_SRC)

# PREFIX is what the installed pushpull.pc points at; DESTDIR only stages.
# After installing into a system prefix run ldconfig, so that programs find
# libpushpull.so.0 (this Makefile leaves the system's cache alone).
# SYSCONFDIR is where the systemd unit looks for its environment files
# (SYSCONFDIR/pushpull/NAME.env); UNITDIR and COMPLETIONDIR may be set to
# where the system looks (pkg-config systemd / bash-completion say).
SYSCONFDIR    ?= /etc
UNITDIR       ?= $(PREFIX)/lib/systemd/system
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
BINDIR    = $(DESTDIR)$(PREFIX)/bin
LIBDIR    = $(DESTDIR)$(PREFIX)/lib
INCDIR    = $(DESTDIR)$(PREFIX)/include/pushpull
MANPAGES  = $(wildcard docs/man/*.1)
MAN1DIR   = $(DESTDIR)$(PREFIX)/share/man/man1
DOCDIR    = $(DESTDIR)$(PREFIX)/share/doc/pushpull
DATADIR   = $(DESTDIR)$(PREFIX)/share/pushpull
COMPDIR   = $(DESTDIR)$(COMPLETIONDIR)
SYSTEMDIR = $(DESTDIR)$(UNITDIR)
SCRIPTS   = scripts/pp-plot
DOCS      = LICENSE CHANGELOG.md README.md
UNIT      = pp-worker@.service
# Every directory install puts a file in. Those it had to create (their
# parents too, up to DESTDIR) are listed in DATADIR/installed-dirs, without
# DESTDIR, so that uninstall removes them again once empty -- and only
# them: a directory that was there before stays.
INST_DIRS = $(BINDIR) $(LIBDIR)/pkgconfig $(INCDIR) $(MAN1DIR) $(DOCDIR) \
            $(DATADIR) $(COMPDIR) $(SYSTEMDIR)
STAGE     = $(patsubst %/,%,$(DESTDIR))
DIRS_LIST = $(DATADIR)/installed-dirs

install: all
	@created=$$(for d in $(INST_DIRS); do \
	  while [ ! -d "$$d" ] && [ "$$d" != "$(STAGE)" ]; do \
	    echo "$${d#$(STAGE)}"; d=$$(dirname "$$d"); done; done); \
	install -d $(INST_DIRS) && \
	{ [ ! -f $(DIRS_LIST) ] || cat $(DIRS_LIST); \
	  [ -z "$$created" ] || printf '%s\n' $$created; } | sort -u \
	  > $(DIRS_LIST).new && mv $(DIRS_LIST).new $(DIRS_LIST)
	install -m 755 $(BINS) $(SCRIPTS) $(BINDIR)
	install -m 644 $(LIB) $(SHLIB) $(LIBDIR)
	ln -sf $(notdir $(SHLIB)) $(LIBDIR)/$(SONAME)
	ln -sf $(notdir $(SHLIB)) $(LIBDIR)/libpushpull.so
	install -m 644 $(PUBLIC_H) $(INCDIR)
	install -m 644 $(MANPAGES) $(MAN1DIR)
	install -m 644 $(DOCS) $(DOCDIR)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	  pushpull.pc.in > $(LIBDIR)/pkgconfig/pushpull.pc
	install -m 644 completions/pushpull.bash $(COMPDIR)/pp-ventilator
	ln -sf pp-ventilator $(COMPDIR)/pp-worker
	ln -sf pp-ventilator $(COMPDIR)/pp-sink
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|' \
	  systemd/$(UNIT).in > $(SYSTEMDIR)/$(UNIT)
	chmod 644 $(SYSTEMDIR)/$(UNIT)

# Removes what install put there, by name, then the directories install
# created, once empty (deepest first). Same PREFIX, DESTDIR, UNITDIR and
# COMPLETIONDIR as the install.
.PHONY: uninstall
uninstall:
	rm -f $(addprefix $(BINDIR)/,$(notdir $(BINS) $(SCRIPTS))) \
	  $(LIBDIR)/$(notdir $(LIB)) $(LIBDIR)/$(notdir $(SHLIB)) \
	  $(LIBDIR)/$(SONAME) $(LIBDIR)/libpushpull.so \
	  $(LIBDIR)/pkgconfig/pushpull.pc \
	  $(addprefix $(INCDIR)/,$(notdir $(PUBLIC_H))) \
	  $(addprefix $(MAN1DIR)/,$(notdir $(MANPAGES))) \
	  $(addprefix $(DOCDIR)/,$(notdir $(DOCS))) \
	  $(addprefix $(COMPDIR)/,pp-ventilator pp-worker pp-sink) \
	  $(SYSTEMDIR)/$(UNIT)
	@dirs=$$([ ! -f $(DIRS_LIST) ] || sort -r $(DIRS_LIST)); \
	rm -f $(DIRS_LIST); \
	rmd() { [ ! -d "$$1" ] || rmdir --ignore-fail-on-non-empty "$$1"; }; \
	for d in $(INCDIR) $(DOCDIR) $(DATADIR); do rmd "$$d" || exit 1; done; \
	for d in $$dirs; do rmd "$(STAGE)$$d" || exit 1; done

clean:
	rm -rf build

# The tutorial's pictures (docs/img/*.png): runs docs/tutorial.md's commands
# as the tutorial test does, with pp-plot writing into docs/img. Needs
# gnuplot (gnuplot-nox); takes about a minute.
.PHONY: pictures
pictures: all
	@mkdir -p $(BUILD) docs/img
	awk '/^```sh$$/ { b = 1; next } /^```$$/ { b = 0; next } b' \
	  docs/tutorial.md > $(BUILD)/tutorial.sh
	PP_PICTURES=$(CURDIR)/docs/img bash $(BUILD)/tutorial.sh

# libFuzzer harness of the wire decoders (tests/fuzz/README.md). Needs clang
# and its runtime (Debian: clang, libclang-rt-14-dev).
#   make fuzz [FUZZ_TIME=600] [FUZZ_RUNS=10000000]   grows build/fuzz/corpus
#   make fuzz-smoke                                  short bounded run, for CI
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 60
FUZZ_RUNS  ?= -1
FUZZ_FLAGS ?=
FUZZ_BIN    = $(BUILD)/fuzz/fuzz_wire
FUZZ_SRC    = tests/fuzz/fuzz_wire.c common/pp_wire.c common/pp_error.c

.PHONY: fuzz fuzz-smoke
$(FUZZ_BIN): $(FUZZ_SRC) common/pp_wire.h common/pp_error.h
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(FUZZ_CC) -std=c11 -D_GNU_SOURCE $(WARN) -O1 -g \
	  -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=all -Icommon -o $@ $(FUZZ_SRC)

fuzz: $(FUZZ_BIN)
	@bash tests/fuzz/run.sh $(FUZZ_BIN) $(BUILD)/fuzz/corpus \
	  -max_total_time=$(FUZZ_TIME) -runs=$(FUZZ_RUNS) $(FUZZ_FLAGS)

fuzz-smoke: $(FUZZ_BIN)
	@rm -rf $(BUILD)/fuzz/smoke-corpus
	@bash tests/fuzz/run.sh $(FUZZ_BIN) $(BUILD)/fuzz/smoke-corpus \
	  -runs=200000 -max_total_time=20

# Benchmarks: pushpull next to raw libzmq PUSH/PULL baselines measured in
# the same run, and whole runs beside xargs and GNU parallel
# (bench/run.sh; about 7-8 minutes on 2 cores). Writes
# bench/results/latest.md and PNG plots (gnuplot-nox, if installed). Not
# part of CI.
BENCH_RAW = $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/raw_*.c))

$(BUILD)/bench/raw_%: bench/raw_%.c bench/raw_common.h
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -o $@ $< \
	  $(shell pkg-config --cflags --libs libzmq)

# Many virtual workers in one process, speaking the real protocol (the
# "many workers" section): links the library for the wire codec.
$(BUILD)/bench/vworkers: bench/vworkers.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARN) -Icommon -o $@ $< $(LIB) \
	  $(shell pkg-config --cflags --libs libzmq)

.PHONY: bench bench-deps
bench: all $(BENCH_RAW) $(BUILD)/bench/vworkers bench-deps
	@BUILD=$(BUILD) bash bench/run.sh

# What the bench compares with or draws with (GNU parallel, gnuplot, jq):
# installed when missing and we may; else the bench skips it, noted.
bench-deps:
	@bash scripts/install-deps.sh --bench || \
	  echo "bench: some tools are missing; their parts are skipped"

# Multi-host fault tests: network namespaces on a bridge, faults injected
# mid-run (tests/netns/README.md). Needs root; skips where it cannot.
.PHONY: check-netns
check-netns: all
	bash tests/netns/run.sh
