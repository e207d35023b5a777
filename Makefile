# foid: FOI and survey rounds by email.  See README.md.
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
DATADIR    ?= $(PREFIX)/share/foid
MANDIR     ?= $(PREFIX)/share/man
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR    ?= $(PREFIX)/lib/systemd/system

CC      ?= cc
PKGS     = libcurl libetpan sqlite3 libconfig jansson libxml-2.0 gnutls libsystemd libytnef libzip libpcre2-8
WARN     = -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wvla
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) \
           -DFOID_DATADIR='"$(DATADIR)"' -DFOID_SYSCONFDIR='"$(SYSCONFDIR)"'
LIBS     = -lcsv -lm

ifeq ($(SANITIZE),1)
BUILD   ?= build-asan
ALL_CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDSAN    = -fsanitize=address,undefined
else
BUILD   ?= build
endif

SRC       = $(filter-out daemon/foid.c daemon/foictl.c,$(wildcard daemon/*.c))
OBJ       = $(SRC:daemon/%.c=$(BUILD)/obj/%.o)
TESTS     = $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/check_*.c))
TESTLIB   = $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(filter-out tests/check_%.c,$(wildcard tests/*.c)))

.PHONY: all deps check check-valgrind demo demo-survey install clean bench fuzz FORCE
.SECONDARY:
all: deps $(BUILD)/foid $(BUILD)/foictl

# Runs the Debian installer only when a package is missing (it checks fast).
deps:
	@sh scripts/install-deps.sh

# pkg-config is evaluated lazily, after deps has run.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) check 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null | sed 's/-specs=[^ ]*//g')
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

# Installed paths are compiled in: rebuild when PREFIX and friends change.
PATHS_TEXT = $(DATADIR) $(SYSCONFDIR)
$(BUILD)/paths: FORCE
	@mkdir -p $(@D)
	@echo '$(PATHS_TEXT)' | cmp -s - $@ || echo '$(PATHS_TEXT)' > $@
FORCE:

$(BUILD)/obj/%.o: daemon/%.c daemon/*.h $(BUILD)/paths | deps
	@mkdir -p $(@D)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/libfoid.a: $(OBJ)
	@rm -f $@
	@ar rcs $@ $^

$(BUILD)/foid: $(BUILD)/obj/foid.o $(BUILD)/libfoid.a
	@echo "LD $@"
	@$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS) $(LIBS)

$(BUILD)/foictl: $(BUILD)/obj/foictl.o $(BUILD)/libfoid.a
	@echo "LD $@"
	@$(CC) $(LDSAN) -o $@ $^ $(PKG_LIBS) $(LIBS)

$(BUILD)/tests/%.o: tests/%.c tests/*.h daemon/*.h | deps
	@mkdir -p $(@D)
	@echo "CC $<"
	@$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Idaemon -Itests -c -o $@ $<

$(BUILD)/tests/check_%: $(BUILD)/tests/check_%.o $(TESTLIB) $(BUILD)/libfoid.a
	@echo "LD $@"
	@$(CC) $(LDSAN) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS) $(LIBS)

check: all $(TESTS)
	@FOID_BUILD=$(BUILD) sh tests/run.sh $(TESTS)

demo: all
	@FOID_BUILD=$(BUILD) sh scripts/demo.sh

# A survey round end to end: replies in every style, its response rate and tallies.
demo-survey: all
	@FOID_BUILD=$(BUILD) sh scripts/demo-survey.sh

# The ingestion integration suite with every foid run under valgrind memcheck.
check-valgrind: all $(BUILD)/tests/check_ingest
	@FOID_VALGRIND=1 FOID_BUILD=$(BUILD) sh tests/run.sh $(BUILD)/tests/check_ingest

# Benchmarks against msmtp, curl, mbsync and doveadm; never part of check.
bench: all $(BUILD)/tests/bench/poll
	@sh scripts/install-deps.sh --bench
	@FOID_BUILD=$(BUILD) python3 scripts/bench.py

$(BUILD)/tests/bench/poll: tests/bench/poll.c $(BUILD)/libfoid.a
	@mkdir -p $(@D)
	@echo "LD $@"
	@$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Idaemon -o $@ $< $(BUILD)/libfoid.a $(PKG_LIBS) $(LIBS)

# Each libFuzzer harness for FUZZ_SECONDS seconds (default 60).
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh scripts/fuzz.sh

install: $(BUILD)/foid $(BUILD)/foictl
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates \
		$(DESTDIR)$(DATADIR)/holidays $(DESTDIR)$(SYSCONFDIR)/foid \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR)
	install -m 755 $(BUILD)/foid $(DESTDIR)$(SBINDIR)/foid
	install -m 755 $(BUILD)/foictl $(DESTDIR)$(BINDIR)/foictl
	install -m 644 templates/*.txt $(DESTDIR)$(DATADIR)/templates/
	install -m 644 data/holidays/*.csv $(DESTDIR)$(DATADIR)/holidays/
	install -m 644 data/classify.rules data/classify.model $(DESTDIR)$(DATADIR)/
	install -m 644 config/foid.conf.example $(DESTDIR)$(SYSCONFDIR)/foid/foid.conf.example
	install -m 644 systemd/foid.service $(DESTDIR)$(UNITDIR)/foid.service
	install -d $(DESTDIR)$(PREFIX)/lib/sysusers.d
	install -m 644 systemd/foid.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/foid.conf
	install -m 644 man/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 man/*.8 $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -rf build build-asan build-fuzz
