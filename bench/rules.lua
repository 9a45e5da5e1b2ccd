-- wrk script of bench/rules.sh: the method and body come from the
-- environment (BENCH_METHOD, default GET; BENCH_BODY, sent with
-- Content-Type: application/json when set), and the summary ends with one
-- line of exact figures (microseconds) for the script to read.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
	wrk.body = body
	wrk.headers["Content-Type"] = "application/json"
end

done = function(summary, latency, requests)
	io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d "
	    .. "connect=%d read=%d write=%d timeout=%d\n",
	    summary.requests, summary.duration, latency:percentile(50),
	    latency:percentile(99), summary.errors.connect, summary.errors.read,
	    summary.errors.write, summary.errors.timeout))
end
