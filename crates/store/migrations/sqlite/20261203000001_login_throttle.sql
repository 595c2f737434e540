-- Login throttling (issue 14): failed attempts counted in the database, so every server process
-- agrees, per account and client address, per client address and per account. An attempt is
-- charged before its password is checked and refunded when it succeeds, so parallel guesses
-- cannot slip past the limit. The old users.failed_logins / users.locked_until columns are no
-- longer read.
CREATE TABLE login_throttle (
    scope TEXT NOT NULL,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    failures INTEGER NOT NULL,
    blocked_until TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (scope, username, address)
);
CREATE INDEX login_throttle_username ON login_throttle (username);
CREATE INDEX login_throttle_updated ON login_throttle (updated_at);

-- Accounts an admin has switched off: they cannot log in and their sessions are ended.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
