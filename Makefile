# Makefile -- thin wrapper over CMake: deps, build, test, demo, sanitize, fuzz, bench, eval, models.
BUILD      ?= build
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

# Debian 12 packages: build and run, then what the tests drive (kcat, Python
# client, docker-compose for validating the compose file).
DEB_BUILD = gcc make cmake pkg-config librdkafka-dev libzmq3-dev libmsgpack-dev libev-dev \
            libhyperscan-dev libyaml-dev libjansson-dev libmicrohttpd-dev libespeak-ng-dev \
            libpcaudio-dev liblinear-dev
DEB_TEST  = kcat python3 python3-zmq python3-msgpack python3-confluent-kafka python3-yaml curl docker-compose sox
DEB_FUZZ  = clang libclang-rt-14-dev
DEB_BENCH = python3-confluent-kafka python3-yaml gnuplot-nox python3-sklearn kcat valgrind
# /metrics is parsed by Prometheus' own client in tests/test_ops.py
DEB_TEST += python3-prometheus-client

.PHONY: all build deps test demo sanitize fuzz bench eval templates models soak memcheck install clean

all: build

deps:
	@./tools/deps.sh $(DEB_BUILD) $(DEB_TEST)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: deps
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

demo: deps
	$(MAKE) build
	./tools/demo.sh $(BUILD)

sanitize: deps
	cmake -S . -B build-asan -DSQUAWK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS) --timeout 900

fuzz: deps
	@./tools/deps.sh $(DEB_FUZZ)
	CC=clang cmake -S . -B build-fuzz -DSQUAWK_FUZZ=ON -DSQUAWK_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link
	cmake --build build-fuzz -j $(JOBS)
	./tools/fuzz.sh build-fuzz $(FUZZ_SECONDS)

# The reliability suite in its long form (20,000 articles, 5 kills, 10 s outage, 30 s stalls).
soak: deps
	cmake -S . -B build-soak -DSQUAWK_SOAK=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-soak -j $(JOBS)
	cd build-soak && ctest --output-on-failure -L reliability -j 1

# Unit and integration test executables under valgrind (the squawk children they
# spawn are not); suppressions for library internals in tests/valgrind.supp.
VALGRIND = valgrind;--error-exitcode=99;--leak-check=full;--errors-for-leak-kinds=definite,indirect;--show-leak-kinds=definite,indirect;--track-origins=no;--num-callers=30;--suppressions=$(CURDIR)/tests/valgrind.supp
memcheck: deps
	@./tools/deps.sh valgrind
	cmake -S . -B build-memcheck -DCMAKE_BUILD_TYPE=Debug -DSQUAWK_TEST_TIME_SCALE=10 "-DCMAKE_CROSSCOMPILING_EMULATOR=$(VALGRIND)"
	cmake --build build-memcheck -j $(JOBS)
	cd build-memcheck && ctest --output-on-failure -L 'unit|integration' -j $(JOBS)

bench: deps
	@./tools/deps.sh $(DEB_BENCH)
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-O2 -DNDEBUG"
	cmake --build build-bench -j $(JOBS)
	./bench/run.sh build-bench
	./bench/learned.sh build-bench
	./bench/say.sh build-bench

eval: build
	./tools/eval.sh $(BUILD)

# Rule generality: each headline template of eval/templates.tsv filled with every listed company.
templates: build
	./tools/templates.py --build $(BUILD)

# The built-in filters' rescoring models (filters/rules/v2/*.lm), trained on the tuning sets only.
models: build
	./tools/models.sh $(BUILD)

# Binary, plugins, data, /etc/squawk/squawk.yml, systemd unit, man page, bash completion
# (docs/OPERATIONS.md); DESTDIR=/tmp/stage make install stages them for a package.
install: build
	cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-bench build-soak build-memcheck
