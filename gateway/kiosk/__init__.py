"""The gate's own kiosk (issue 20): the guard's screen served by the agent itself.

With the campus network down the central kiosk is gone; this one keeps showing the
decisions made at the gate, signs guards in against the credentials the signed
snapshot carries (this gate's guards only), and sends the guard's actions through the
agent into the outbox, so they reach the centre once it is back.

- :mod:`.guards`  sign-in against the snapshot, its brute-force limit, the sessions
- :mod:`.feed`    the decisions and statuses the pages receive (from the lane's loop)
- :mod:`.server`  the small HTTP server: pages, live events, actions; CSRF and cookies
  as the central web does them

The page, its scripts, sound and words are the central kiosk's (package ``ui``).
Nothing is imported here: a gate without ``--kiosk`` loads none of it.
"""
