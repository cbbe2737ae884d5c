"""The flood limit shared by every bot replica, in Redis: one token bucket per user, updated
atomically by a script, on the server's clock (replicas on several machines need not agree
on the time). Keys expire once a bucket would be full again, so nothing about a user stays
longer than about a minute after they stop writing."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "shagym:throttle:"
# KEYS[1] the bucket; ARGV rate (tokens a second), burst. Returns 1 when a token was taken.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return taken
"""


class RedisThrottle:
    """`Throttle`'s contract (`allow`, `should_warn`) with the buckets in Redis."""

    def __init__(self, redis: Any, rate: float = 2.0, burst: float = 20.0) -> None:
        self.redis, self.rate, self.burst = redis, rate, burst
        self._take = redis.register_script(_TAKE)

    async def allow(self, user_id: int) -> bool:
        try:
            taken = await self._take(keys=[f"{PREFIX}{user_id}"], args=[self.rate, self.burst])
        except RedisError as exc:  # let the citizen through rather than lose the report
            log.warning("flood limit unavailable (%s); update let through", type(exc).__name__)
            return True
        return bool(taken)

    async def should_warn(self, user_id: int, every: float = 60.0) -> bool:
        """True for one replica once per `every` seconds: one notice, however many replicas."""
        try:
            key = f"{PREFIX}{user_id}:warned"
            return bool(await self.redis.set(key, "1", nx=True, ex=max(1, int(every))))
        except RedisError:
            return False
