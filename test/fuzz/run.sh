#!/bin/sh
# Fuzz the gRPC server's request path with libFuzzer for FUZZ_SECONDS
# (default 60), then the HTTP port's request checks for a third of that,
# and the worker protocol, the client's replies and the Docker provider's
# JSON for a sixth each (the targets: test/fuzz/README.md).
# usage: test/fuzz/run.sh BUILD_DIR
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev) and a
# configured meson build dir (for the generated protobuf-c sources).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
seconds=${FUZZ_SECONDS:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ninja -C "$build" lib/rpc/hodei_descriptor_set.c lib/libhodei_internal.a >/dev/null
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$src/include" -I"$src/lib/rpc" -I"$build/lib/rpc" \
	"$src/test/fuzz/fuzz_h2server.c" \
	"$src/lib/rpc/grpc.c" "$src/lib/rpc/call.c" "$src/lib/rpc/h2server.c" \
	"$src/lib/rpc/pbwire.c" "$src/lib/rpc/services.c" \
	"$build"/lib/rpc/*.pb-c.c "$build/lib/rpc/hodei_descriptor_set.c" \
	-lprotobuf-c -lnghttp2 -o "$work/fuzz_h2server"

clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE \
	-I"$src/include" -I"$src/lib" -I"$build/lib" -I"$src/lib/rpc" -I"$build/lib/rpc" \
	-I"$src/tools/hodeid" \
	"$src/test/fuzz/fuzz_http.c" "$src/tools/hodeid/http_guard.c" "$src/tools/hodeid/session.c" \
	"$src/tools/hodeid/webfile.c" "$src/tools/hodeid/util.c" "$src/tools/hodeid/auth.c" \
	"$src/tools/hodeid/log.c" \
	"$build/lib/libhodei_internal.a" \
	$(pkg-config --libs libnghttp2 libprotobuf-c libevent_pthreads sqlite3 jansson libzstd libssl libcrypto) \
	-levent_core -levent_extra -ldl -lpthread -o "$work/fuzz_http"

clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE \
	-I"$src/include" -I"$src/lib/docker" \
	"$src/test/fuzz/fuzz_docker_json.c" "$src/lib/docker/dk_reply.c" "$src/lib/http/httpc.c" \
	"$build/lib/libhodei_internal.a" \
	$(pkg-config --libs libcurl libnghttp2 libprotobuf-c libevent_core libevent_pthreads sqlite3 jansson libzstd libssl libcrypto) \
	-ldl -lpthread -o "$work/fuzz_docker_json"

clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE \
	-I"$src/include" -I"$src/lib" -I"$build/lib" -I"$src/lib/rpc" -I"$build/lib/rpc" \
	"$src/test/fuzz/fuzz_client_replies.c" "$src"/lib/client/*.c "$src/lib/rpc/grpc.c" \
	"$build/lib/libhodei_internal.a" \
	$(pkg-config --libs libnghttp2 libprotobuf-c libevent_core libevent_pthreads sqlite3 jansson libzstd libssl libcrypto) \
	-ldl -lpthread -o "$work/fuzz_client_replies"

hodeid="$src/tools/hodeid"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -D_GNU_SOURCE \
	-I"$src/include" -I"$src/lib" -I"$build/lib" -I"$src/lib/rpc" -I"$build/lib/rpc" -I"$hodeid" \
	"$src/test/fuzz/fuzz_worker_protocol.c" "$hodeid/svc_workers.c" "$hodeid/conv.c" \
	"$hodeid/arena.c" "$hodeid/join_tokens.c" "$hodeid/log.c" "$hodeid/util.c" \
	"$src/lib/worker.c" "$build/lib/libhodei_internal.a" \
	$(pkg-config --libs libnghttp2 libprotobuf-c libevent_core libevent_pthreads sqlite3 jansson libzstd libssl libcrypto) \
	-ldl -lpthread -o "$work/fuzz_worker_protocol"

# fuzz TARGET CORPUS SECONDS MAX_LEN
fuzz() {
	mkdir "$work/$2"
	cp "$src/test/fuzz/$2"/* "$work/$2/"
	if ! ./"$1" -max_total_time="$3" -max_len="$4" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 "$2" >"log_$1" 2>&1; then
		tail -n 60 "log_$1"
		mkdir -p "$build/fuzz-findings"
		cp crash-* leak-* timeout-* oom-* "$build/fuzz-findings/" 2>/dev/null || true
		echo "$1: FAILED; inputs copied to $build/fuzz-findings"
		exit 1
	fi
	tail -n 6 "log_$1"
	echo "$1: $3s without a crash"
}

cd "$work"
fuzz fuzz_h2server corpus "$seconds" 65536
# The HTTP port's checks: a third of the time again.
fuzz fuzz_http corpus_http $(( (seconds + 2) / 3 )) 4096
# The Docker provider's reading of Engine API replies: a sixth.
fuzz fuzz_docker_json corpus_docker $(( (seconds + 5) / 6 )) 8192
# The client's reading of replies, from a fake server: a sixth.
fuzz fuzz_client_replies corpus_client $(( (seconds + 5) / 6 )) 16384
# hodeid's side of the worker protocol, message sequences: a sixth.
fuzz fuzz_worker_protocol corpus_worker $(( (seconds + 5) / 6 )) 1024
