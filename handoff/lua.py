"""Every ownership transition as one Lua script: Redis runs each atomically, so two agents
clicking at once, a retry, or a customer message racing a claim always see one consistent state.

Conventions: KEYS[1] conversation hash, KEYS[2] its message stream, KEYS[3] the queue,
KEYS[4] the events stream. The last ARGV of every script is the conversation's retention (s): each
write refreshes the expiry of the conversation's hash and stream, so an idle one leaves Redis on its
own (personal data). Replies are {status, detail}: status "ok", "noop" (the transition
had already happened: repeating it is harmless) or "conflict" (detail = current owner).

The scripts never build a queue member or score: the caller passes them in when a chat is
queued (knowledge.redis_keys.queue_member, handoff.ownership.queue_score), and the
conversation hash keeps them ('queue_member', 'queue_score') for the scripts that take the
chat out of the queue or put it back.
"""
from __future__ import annotations

# Shared by the scripts below: append one system event to the conversation and to the
# global events stream (ARGV layouts differ per script, so values are passed explicitly), and
# refresh the conversation's expiry (the stream's only ever lengthened).
_HELPERS = """
local function keep()
  redis.call('EXPIRE', KEYS[1], ARGV[#ARGV])
  -- Never shortened: a ticket may keep the messages longer, as its transcript (handoff.tickets).
  redis.call('EXPIRE', KEYS[2], ARGV[#ARGV], 'NX'); redis.call('EXPIRE', KEYS[2], ARGV[#ARGV], 'GT')
end
local function event(kind, conversation, fields)
  local entry = {'kind', 'system', 'event', kind, 'at', fields.at}
  for k, v in pairs(fields) do
    if k ~= 'at' then table.insert(entry, k); table.insert(entry, v) end
  end
  local id = redis.call('XADD', KEYS[2], '*', unpack(entry))
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', 10000, '*', 'type', kind, 'conversation', conversation,
             'message', id, unpack(entry, 5))
  return id
end
"""

# ARGV: conversation id, text, now ms, client message id ('' if none), retention s. A message to a closed
# conversation reopens it with the bot. A client retrying its last message (same client id, same text)
# gets the first copy back, marked 'duplicate', instead of a second one; the same client id with
# another text is no retry: nothing is stored, marked 'reused'.
CUSTOMER_MESSAGE = _HELPERS + """
local c = redis.call('HMGET', KEYS[1], 'owner', 'last_client_id', 'last_message')
local owner = c[1]
if not owner then return {'unknown', ''} end
if ARGV[4] ~= '' and c[2] == ARGV[4] then
  local first = redis.call('XRANGE', KEYS[2], c[3], c[3])[1]
  if first then
    local fields = first[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'text' and fields[i + 1] ~= ARGV[2] then return {owner, c[3], 'reused'} end
    end
  end
  return {owner, c[3], 'duplicate'}
end
if owner == 'closed' then
  owner = 'bot'
  redis.call('HSET', KEYS[1], 'owner', 'bot')
end
local id = redis.call('XADD', KEYS[2], '*', 'kind', 'customer', 'text', ARGV[2], 'at', ARGV[3])
redis.call('HSET', KEYS[1], 'last_customer_at', ARGV[3], 'last_client_id', ARGV[4], 'last_message', id)
keep()
return {owner, id, 'new'}
"""

# ARGV: conversation id, now ms, reply count n, n JSON replies, the insights' events JSON (a list of flat
# field/value lists: handoff/insights/recording.py) and the outbox's bound, then for an escalation:
# reason, lang, priority, queue score, package JSON, queue member (absent when the turn does not escalate),
# retention s. KEYS[5], KEYS[6]: the insights' outbox and lost-events counter.
# Bot replies are dropped unless the bot owns the conversation: a reply computed while an
# agent took over must never reach the customer. Their events go to the outbox in the same step, so
# that the figures count exactly the replies customers got (as lua.RECORD_EVENT: a full outbox counts them lost).
BOT_TURN = _HELPERS + """
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner ~= 'bot' then return {'dropped', owner or ''} end
local now = ARGV[2]
local n = tonumber(ARGV[3])
local first = ''
for i = 1, n do
  local id = redis.call('XADD', KEYS[2], '*', 'kind', 'bot', 'reply', ARGV[3 + i], 'at', now)
  if first == '' then first = id end
end
keep()
local insights = cjson.decode(ARGV[4 + n])
if redis.call('XLEN', KEYS[5]) + #insights > tonumber(ARGV[5 + n]) then
  redis.call('INCRBY', KEYS[6], #insights)
else
  for _, fields in ipairs(insights) do redis.call('XADD', KEYS[5], '*', unpack(fields)) end
end
local base = 5 + n
if #ARGV == base + 1 then return {'ok', first} end  -- only the retention follows: no escalation
local reason, lang, priority, score = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4]
local member = ARGV[base + 6]
local id = event('queued', ARGV[1], {at = now, reason = reason, lang = lang, priority = priority})
redis.call('HSET', KEYS[1], 'owner', 'queued', 'reason', reason, 'lang', lang, 'priority', priority,
           'queued_at', now, 'handoff_from', id, 'agent', '', 'agent_name', '', 'package', ARGV[base + 5],
           'queue_member', member, 'queue_score', score)
redis.call('ZADD', KEYS[3], score, member)
return {'queued', id}
"""

# ARGV: conversation id, agent username, agent display name, now ms, retention s.
CLAIM = _HELPERS + """
local c = redis.call('HMGET', KEYS[1], 'owner', 'agent', 'queue_member')
if c[1] == 'agent' and c[2] == ARGV[2] then return {'noop', ''} end
if c[1] ~= 'queued' then return {'conflict', (c[1] or '') .. ':' .. (c[2] or '')} end
redis.call('ZREM', KEYS[3], c[3])
local id = event('agent_joined', ARGV[1], {at = ARGV[4], agent = ARGV[2], agent_name = ARGV[3]})
redis.call('HSET', KEYS[1], 'owner', 'agent', 'agent', ARGV[2], 'agent_name', ARGV[3], 'claimed_at', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'claims', 1)
keep()
return {'ok', id}
"""

# ARGV: conversation id, agent, text, now ms, agent display name, retention s.
AGENT_MESSAGE = _HELPERS + """
local c = redis.call('HMGET', KEYS[1], 'owner', 'agent')
if c[1] ~= 'agent' or c[2] ~= ARGV[2] then return {'conflict', (c[1] or '') .. ':' .. (c[2] or '')} end
local id = redis.call('XADD', KEYS[2], '*', 'kind', 'agent', 'text', ARGV[3], 'at', ARGV[4],
                      'agent', ARGV[2], 'agent_name', ARGV[5])
keep()
return {'ok', id}
"""

# ARGV: conversation id, from agent, to agent ('' = back to the queue), to display name, now ms, retention s.
TRANSFER = _HELPERS + """
local c = redis.call('HMGET', KEYS[1], 'owner', 'agent', 'queue_member', 'queue_score')
if c[1] ~= 'agent' or c[2] ~= ARGV[2] then return {'conflict', (c[1] or '') .. ':' .. (c[2] or '')} end
if ARGV[3] == '' then
  local id = event('requeued', ARGV[1], {at = ARGV[5], agent = ARGV[2]})
  redis.call('HSET', KEYS[1], 'owner', 'queued', 'agent', '', 'agent_name', '')
  -- Keeps its original place: a transferred customer does not wait twice.
  redis.call('ZADD', KEYS[3], c[4], c[3])
  keep()
  return {'ok', id}
end
local id = event('transferred', ARGV[1], {at = ARGV[5], from_agent = ARGV[2], agent = ARGV[3], agent_name = ARGV[4]})
redis.call('HSET', KEYS[1], 'agent', ARGV[3], 'agent_name', ARGV[4])
keep()
return {'ok', id}
"""

# ARGV: conversation id, agent, now ms, new owner ('bot' or 'closed'), resolution code, retention s.
# KEYS[5] the handling-times list. Returns the stream id where the handoff started, so that
# the caller can copy the human part of the conversation into Rasa's tracker.
RELEASE = _HELPERS + """
local c = redis.call('HMGET', KEYS[1], 'owner', 'agent', 'handoff_from', 'claimed_at', 'last_agent')
if c[1] == ARGV[4] and c[5] == ARGV[2] then return {'noop', c[3] or ''} end
if c[1] ~= 'agent' or c[2] ~= ARGV[2] then return {'conflict', (c[1] or '') .. ':' .. (c[2] or '')} end
local kind = 'handed_back'
if ARGV[4] == 'closed' then kind = 'closed' end
event(kind, ARGV[1], {at = ARGV[3], agent = ARGV[2], resolution = ARGV[5]})
redis.call('HSET', KEYS[1], 'owner', ARGV[4], 'agent', '', 'agent_name', '', 'last_agent', ARGV[2],
           'resolution', ARGV[5], 'released_at', ARGV[3])
local handled = (tonumber(ARGV[3]) - tonumber(c[4])) / 1000
redis.call('LPUSH', KEYS[5], handled)
redis.call('LTRIM', KEYS[5], 0, 49)
keep()
return {'ok', c[3] or ''}
"""

# ARGV: conversation id, now ms, waited-since cutoff ms, retention s. A chat nobody claimed in time goes
# back to the bot (which offers a ticket); only one web worker wins this.
GIVE_UP_WAITING = _HELPERS + """
local c = redis.call('HMGET', KEYS[1], 'owner', 'queue_member', 'queued_at', 'reason')
if c[1] ~= 'queued' then return {'noop', c[1] or ''} end
if tonumber(c[3]) > tonumber(ARGV[3]) then return {'noop', 'queued'} end
redis.call('ZREM', KEYS[3], c[2])
event('no_agent', ARGV[1], {at = ARGV[2], reason = c[4]})
redis.call('HSET', KEYS[1], 'owner', 'bot')
keep()
return {'ok', c[4]}
"""

# Rate limits, fixed windows. KEYS: one counter per limit; ARGV: for each, its maximum then its
# window in seconds. Either every counter is under its maximum and all are counted, or none is
# counted and the reply is the milliseconds until the fullest one's window ends (0 = allowed).
# Checking before counting means a refused request costs the sender no further quota.
TAKE_RATE = """
local wait = 0
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('EXPIRE', key, ARGV[2 * i])
      ttl = tonumber(ARGV[2 * i]) * 1000
    end
    wait = math.max(wait, ttl)
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[2 * i]) end
end
return 0
"""

# Insights' outbox (handoff/insights/events.py). KEYS: the outbox stream, the lost-events counter; ARGV: the
# outbox's bound, then the event's field/value pairs. A full outbox (the SQL store down for long) refuses the
# event and counts it as lost, exactly, instead of trimming older unwritten ones without a trace.
RECORD_EVENT = """
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then
  redis.call('INCR', KEYS[2])
  return false
end
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
"""
