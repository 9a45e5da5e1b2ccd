-- wrk script of bench/load.sh: GET requests cycling through the paths in
-- BENCH_PATHS (separated by spaces), each thread starting at its own
-- place, with the session cookie BENCH_COOKIE as the dial page sends it.
-- The summary ends with one line of exact figures (bench/wrkstats.lua).
local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "%S+") do
	paths[#paths + 1] = p
end
local cookie = os.getenv("BENCH_COOKIE") or ""
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrkstats.lua")

cycle(function()
	local headers = { ["Cookie"] = "session=" .. cookie }
	local reqs = {}
	for i, p in ipairs(paths) do
		reqs[i] = wrk.format("GET", p, headers)
	end
	return reqs
end, 1)
