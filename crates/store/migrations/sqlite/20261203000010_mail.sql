-- E-mail reminders of the notification centre (issue 16, optional: the server sends them when
-- it runs with --smtp-url).
--
-- users.email: the address an account entered on 账号设置 (NULL: no mail).
-- notifications.mailed_at: when a server process claimed the message for mail (NULL: not yet);
-- mail_attempts: how often it was claimed; mail_error: the last SMTP failure, if any.

ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE notifications ADD COLUMN mailed_at TEXT;
ALTER TABLE notifications ADD COLUMN mail_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN mail_error TEXT;
CREATE INDEX notifications_unmailed ON notifications (created_at) WHERE mailed_at IS NULL;
