# genomenode — one plain, non-recursive GNU Makefile (see docs/ARCHITECTURE.md).
#
#   make [BUILD=debug|release|asan] [CC=gcc|clang] [WERROR=1]
#   make demo     install deps, build, load the bundled demo data, run example queries
#   make check    install deps, build with ASan+UBSan, run every test; last line "N passed, M failed"
#   make lint     banned calls, clang-format, a clang -Werror build, cppcheck, clang-tidy
#   make bench    genomenode side by side with bcftools and plink2 (see bench/README.md)
#   make bench-http  the Beacon server under load with wrk (bench/http.sh)
#
# Outputs go to build/$(BUILD)/. Core modules are compiled once into libgenomenode.a,
# which the CLI, the unit-test runner and the fuzz replay drivers all link.

BUILD   ?= debug
CC      ?= gcc
WERROR  ?= 1
O       := build/$(BUILD)

PKGS    := htslib libzstd liblz4 libsodium sqlite3 zlib jansson
# Loaded on first use (src/dynlib.h), not linked: headers only, and the runtime soname.
DL_PKGS := libpq libmicrohttpd libcurl libcrypto
soname   = $(shell objdump -p $$(pkg-config --variable=libdir $(1))/$(2).so 2>/dev/null | awk '/SONAME/ { print $$2 }')
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(DL_PKGS) libjwt 2>/dev/null) \
              -DGN_LIBPQ_SONAME='"$(or $(call soname,libpq,libpq),libpq.so.5)"' \
              -DGN_LIBMHD_SONAME='"$(or $(call soname,libmicrohttpd,libmicrohttpd),libmicrohttpd.so.12)"' \
              -DGN_LIBCRYPTO_SONAME='"$(or $(call soname,libcrypto,libcrypto),libcrypto.so.3)"' \
              -DGN_LIBCURL_SONAME='"$(or $(call soname,libcurl,libcurl),libcurl-gnutls.so.4)"'
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldl
# The unit tests mint JWTs with libjwt, an implementation independent of ours, and make
# their keys with libcrypto.
TEST_LIBS  := $(shell pkg-config --libs libjwt libcrypto 2>/dev/null)

WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wcast-qual -Wimplicit-fallthrough
ifeq ($(WERROR),1)
WARN    += -Werror
endif
CFLAGS_COMMON := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) -Isrc $(PKG_CFLAGS) -MMD -MP

ifeq ($(BUILD),release)
CFLAGS_MODE := -O3 -g -DNDEBUG
else ifeq ($(BUILD),asan)
CFLAGS_MODE := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS_MODE := -fsanitize=address,undefined
else ifeq ($(BUILD),torture)
CFLAGS_MODE := -O0 -g -DGN_FAULT_INJECT
else
CFLAGS_MODE := -O0 -g
endif

CFLAGS  += $(CFLAGS_COMMON) $(CFLAGS_MODE)
LDLIBS  += $(PKG_LIBS) -lpthread -lm
LDFLAGS += $(LDFLAGS_MODE)

LIB_SRC   := $(wildcard src/*.c)
CLI_SRC   := $(wildcard src/cli/*.c)
UNIT_SRC  := $(wildcard tests/unit/*.c)
FUZZ_SRC  := $(wildcard fuzz/fuzz_*.c)

LIB_OBJ   := $(LIB_SRC:%.c=$(O)/%.o)
CLI_OBJ   := $(CLI_SRC:%.c=$(O)/%.o)
UNIT_OBJ  := $(UNIT_SRC:%.c=$(O)/%.o)
FUZZ_BIN  := $(FUZZ_SRC:fuzz/%.c=$(O)/fuzz/%)

LIB       := $(O)/libgenomenode.a
BIN       := $(O)/genomenode
UNIT_BIN  := $(O)/unit-tests

.PHONY: eval-hpo eval-hpo-rerank all deps demo check check-extended check-valgrind torture lint format bench bench-http clean fuzz
all: $(BIN) $(UNIT_BIN) $(FUZZ_BIN)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $(CLI_OBJ) $(LIB) $(LDLIBS) -o $@

$(UNIT_BIN): $(UNIT_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $(UNIT_OBJ) $(LIB) $(LDLIBS) $(TEST_LIBS) -o $@

# Fuzz targets are built twice over: here with a plain main() that replays the committed
# corpus (fuzz/replay.c), and by `make fuzz` with clang's libFuzzer.
$(O)/fuzz/%: fuzz/%.c fuzz/replay.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $< fuzz/replay.c $(LIB) $(LDLIBS) -o $@

fuzz: $(LIB_SRC)
	@mkdir -p build/fuzz
	for f in $(FUZZ_SRC); do \
	  clang $(CFLAGS_COMMON) -g -O1 -fsanitize=fuzzer,address,undefined -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
	    $$f $(LIB_SRC) $(PKG_LIBS) -lpthread -lm -o build/fuzz/$$(basename $$f .c) || exit 1; done

deps:
	@scripts/install-deps

demo: deps
	$(MAKE) BUILD=release build/release/genomenode
	@scripts/demo build/release/genomenode

check-extended: deps
	$(MAKE) BUILD=release all
	bash tests/extended/acceptance.sh build/release/genomenode
	bash tests/extended/pheno-scale.sh build/release/genomenode

check: deps
	$(MAKE) BUILD=asan all
	$(MAKE) BUILD=release build/release/genomenode  # make demo's build: -O3 warnings are errors too
	@scripts/run-tests build/asan

check-valgrind: all
	@VALGRIND=1 scripts/run-tests $(O)

torture:
	$(MAKE) BUILD=torture all
	@TORTURE=1 scripts/run-tests build/torture

lint:
	@WITH_OPTIONAL=1 scripts/install-deps
	@scripts/lint

format:
	clang-format -i src/*.c src/*.h src/cli/*.c src/cli/*.h tests/unit/*.c tests/unit/*.h fuzz/*.c

bench: deps
	WITH_OPTIONAL=1 scripts/install-deps
	$(MAKE) BUILD=release all
	bash bench/run.sh

# The Beacon server under load (wrk on loopback, 100,000-sample store; bench/http.sh).
bench-http: deps
	WITH_OPTIONAL=1 scripts/install-deps
	$(MAKE) BUILD=release all
	bash bench/http.sh

# Disease-ranking accuracy on the development phenopackets in ../shared (skipped when absent)
# and index build/load/rank timings (bench/hpo-eval.sh, docs/hpo.md).
eval-hpo:
	$(MAKE) BUILD=release build/release/genomenode
	bash bench/hpo-eval.sh build/release/genomenode

# What a learned (cross-validated) combination of ranking features would add (docs/hpo.md,
# round 5; needs python3-numpy).
eval-hpo-rerank:
	$(MAKE) BUILD=release build/release/genomenode
	/usr/bin/python3 bench/hpo-rerank.py build/release/genomenode

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
