-- wrk workload for scripts/chat-throughput: POST /api/chat cycling the messages of the file
-- named by the third argument over the sessions listed in the file named by the first (the
-- second is the number of wrk threads). Each wrk thread takes its own slice of the
-- sessions, so one session is rarely written by two connections at once (a collision is
-- legal, only slower: the turn re-reads and retries).
-- Every message carries a fresh messageId, as the widget sends.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  -- The conversation, one message a line (scripts/throughput/messages.txt, shared with
  -- the handler_time benchmark); each is sent inside a JSON string as it is.
  messages = {}
  for line in io.lines(args[3]) do
    if #line > 0 then table.insert(messages, line) end
  end
  local all = {}
  for line in io.lines(args[1]) do
    if #line > 0 then table.insert(all, line) end
  end
  local total_threads = tonumber(args[2])
  sessions = {}
  for i = id, #all, total_threads do table.insert(sessions, all[i]) end
  n = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local session = sessions[(n - 1) % #sessions + 1]
  local message = messages[(math.floor((n - 1) / #sessions)) % #messages + 1]
  local body = string.format('{"sessionId":"%s","message":"%s","messageId":"w%d-%d"}', session, message, id, n)
  return wrk.format(nil, "/api/chat", nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%.3f non2xx=%d errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
