--[[
  Takes (or renews) a run's lease and, when the caller holds it, returns the run's state in the
  same round trip: a worker starting or resuming a run needs both, and nothing may change the state
  between the two without the lease.

  KEYS[1] lease key
  KEYS[2] state hash of the run
  ARGV[1] token of the caller
  ARGV[2] lease duration in ms

  Returns {1, field, value, ...} when the caller holds the lease (an empty state means no such run),
  {0} when another token holds it.
]]
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return {0} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local state = redis.call('HGETALL', KEYS[2])
table.insert(state, 1, 1)
return state
