--[[
  Creates a run and emits its RUN_QUEUED event (seq 1), unless the tenant's idempotency key already
  names a run, in which case that run's id is returned and nothing is written. Checking the key and
  creating the run in one script makes concurrent submissions with the same key yield one run.

  KEYS[1] state hash of the new run
  KEYS[2] list of the run's events
  KEYS[3] global event stream
  KEYS[4] idempotency key (tenant + key); ignored when ARGV[2] is 0
  KEYS[5] sorted set of the tenant's recent runs (score: creation time in ms), so that lists show a
          run before the batching writer has stored it

  ARGV[1] run id
  ARGV[2] seconds the idempotency key holds (0: the request has no key)
  ARGV[3] RUN_QUEUED event JSON without its opening '{' and without seq
  ARGV[4] pub/sub channel for the event
  ARGV[5] creation time, epoch ms
  ARGV[6] how many recent runs the tenant's set keeps
  ARGV[7..] field, value pairs of the new state hash

  Returns {1, runId} when it created the run, {0, existingRunId} when the key named one.
]]
local stateKey, eventsKey, streamKey, idemKey, recentKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local runId, idemTtl, body, channel = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local createdAtMs, keepRecent = ARGV[5], tonumber(ARGV[6])

if idemTtl > 0 then
  local existing = redis.call('GET', idemKey)
  if existing then return {0, existing} end
  redis.call('SET', idemKey, runId, 'EX', idemTtl)
end

redis.call('HSET', stateKey, unpack(ARGV, 7))
redis.call('ZADD', recentKey, createdAtMs, runId)
redis.call('ZREMRANGEBYRANK', recentKey, 0, -keepRecent - 1)
redis.call('EXPIRE', recentKey, 86400)
local seq = redis.call('HINCRBY', stateKey, 'seq', 1)
local event = '{"seq":' .. seq .. ',' .. body
redis.call('RPUSH', eventsKey, event)
redis.call('XADD', streamKey, '*', 'e', event)
redis.call('PUBLISH', channel, event)
return {1, runId}
