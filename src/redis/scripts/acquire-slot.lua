--[[
  Takes (or renews) one slot of a block's global concurrency limit, shared by every worker process.
  A slot is a member of a sorted set scored by its expiry time; slots whose holder died without
  releasing them expire, so a SIGKILLed worker cannot shrink the limit for good. Time is Redis's
  own (TIME), so workers with skewed clocks agree.

  KEYS[1] sorted set of the block's slots
  ARGV[1] holder id (one node execution: "<runId>:<nodeId>:<attempt>")
  ARGV[2] the limit
  ARGV[3] ms a slot lives unless renewed

  Returns 1 when the holder has a slot afterwards, 0 when every slot is taken.
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local expiry = now + tonumber(ARGV[3])
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not held and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], expiry, ARGV[1])
-- the set outlives its longest-lived slot, and no longer
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
