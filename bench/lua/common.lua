-- Shared by the bench scripts: per-thread counters collected in done(), printed as one JSON line.
threads = {}
counters = {bad = 0, flows = 0, polls = 0}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  table.insert(threads, thread)
end

function count(name)
  counters[name] = counters[name] + 1
  wrk.thread:set(name, counters[name])
end

function done(summary, latency, requests)
  local totals = {bad = 0, flows = 0, polls = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"bad":%d,"flows":%d,"polls":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    totals.bad, totals.flows, totals.polls))
end
