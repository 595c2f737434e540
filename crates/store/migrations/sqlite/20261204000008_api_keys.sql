-- API keys for other systems (issue 20): a key acts as one account with some scopes, until it
-- expires or is revoked. Only the SHA-256 of the token is kept (the token is shown once); the
-- prefix lets people tell keys apart. api_key_windows counts a key's requests per minute (the
-- rate limit holds across processes).
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    note TEXT NOT NULL,
    scopes TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT,
    uses INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_key_windows (
    key_id INTEGER NOT NULL REFERENCES api_keys (id),
    minute TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key_id, minute)
);
