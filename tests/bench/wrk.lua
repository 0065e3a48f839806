-- wrk.lua: the wrk script of tests/bench/run.
--
-- BENCH_TOKEN, when set and not empty, goes out as
-- "Authorization: Bearer <token>" on every request. done() prints one line
-- that the driver parses (latencies in milliseconds):
--   BENCH requests=N seconds=S rps=R p50=X p99=Y non2xx=K errors=E
-- non2xx counts answers outside 2xx/3xx, errors the socket-level failures.
-- BENCH_ACCEPT_ENCODING, when set, goes out as Accept-Encoding.

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. token
end
local encoding = os.getenv("BENCH_ACCEPT_ENCODING")
if encoding and encoding ~= "" then
	wrk.headers["Accept-Encoding"] = encoding
end

function done(summary, latency, requests)
	local seconds = summary.duration / 1e6
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d seconds=%.3f rps=%.1f p50=%.3f p99=%.3f " ..
		"non2xx=%d errors=%d\n",
		summary.requests, seconds, summary.requests / seconds,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		e.status, e.connect + e.read + e.write + e.timeout))
end
