"""HTTP semantics with no state and no dependency: the standard library only.

Both processes use these: the addon inside any mitmproxy, and the service. `challenge` reads
`WWW-Authenticate` (RFC 9110 §11.6.1), `cookies` holds RFC 6265's matching rules, `sites`
knows hosts, origins and registrable domains, `dates` reads and writes the times HTTP sends.
"""
