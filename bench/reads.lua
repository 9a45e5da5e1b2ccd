-- wrk script of bench/load.sh: GET requests cycling through the paths in
-- BENCH_PATHS (separated by spaces), each thread starting at its own
-- place, with the session cookie BENCH_COOKIE as the dial page sends it.
-- The summary ends with one line of exact figures (microseconds).
local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "%S+") do
	paths[#paths + 1] = p
end
local cookie = os.getenv("BENCH_COOKIE") or ""
local reqs = {}
local next_one = 1
local started = 0

setup = function(thread)
	started = started + 1
	thread:set("first", started)
end

init = function(args)
	local headers = { ["Cookie"] = "session=" .. cookie }
	for i, p in ipairs(paths) do
		reqs[i] = wrk.format("GET", p, headers)
	end
	next_one = (first or 1) % #reqs + 1
end

request = function()
	local r = reqs[next_one]
	next_one = next_one % #reqs + 1
	return r
end

done = function(summary, latency, requests)
	io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d "
	    .. "connect=%d read=%d write=%d timeout=%d status=%d\n",
	    summary.requests, summary.duration, latency:percentile(50),
	    latency:percentile(99), summary.errors.connect, summary.errors.read,
	    summary.errors.write, summary.errors.timeout, summary.errors.status))
end
