-- wrk script for Benchmarks/serving.py: sends WRK_METHOD (POST) with WRK_BODY and WRK_CONTENT_TYPE (and Authorization:
-- WRK_AUTH when set) on every request, and prints one line "WRK_JSON {...}" at the end with the counts and latency percentiles in microseconds.
wrk.method = os.getenv("WRK_METHOD") or "POST"
local body = os.getenv("WRK_BODY") or ""
if body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = os.getenv("WRK_CONTENT_TYPE") or "application/json"
end
wrk.headers["Accept"] = os.getenv("WRK_ACCEPT") or "application/json"
local auth = os.getenv("WRK_AUTH")
if auth and auth ~= "" then
    wrk.headers["Authorization"] = auth
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
        '"status": %d, "timeout": %d}, "latency_us": {"min": %d, "mean": %.1f, "p50": %d, "p90": %d, "p99": %d, ' ..
        '"p999": %d, "max": %d}}\n',
        summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
        latency.min, latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency:percentile(99.9), latency.max))
end
