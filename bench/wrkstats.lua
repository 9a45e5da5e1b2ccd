-- What every wrk script of bench/ shares, loaded with dofile():
-- `done` ends wrk's summary with one line of exact figures (microseconds)
-- for the shell scripts to read, and cycle() sends a list of prepared
-- requests in turn, each wrk thread starting at its own place (`step`
-- apart) so that threads do not move in lockstep.
done = function(summary, latency, requests)
	io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d "
	    .. "connect=%d read=%d write=%d timeout=%d status=%d\n",
	    summary.requests, summary.duration, latency:percentile(50),
	    latency:percentile(99), summary.errors.connect, summary.errors.read,
	    summary.errors.write, summary.errors.timeout, summary.errors.status))
end

-- make_requests() is called in each thread's init and returns the list.
function cycle(make_requests, step)
	local started = 0
	local reqs, next_one

	setup = function(thread)
		started = started + 1
		thread:set("first", started)
	end
	init = function(args)
		reqs = make_requests()
		next_one = ((first or 1) * step) % #reqs + 1
	end
	request = function()
		local r = reqs[next_one]
		next_one = next_one % #reqs + 1
		return r
	end
end
