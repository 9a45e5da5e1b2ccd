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

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrkstats.lua")
