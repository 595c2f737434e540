-- 拨付 (issue 16): after a notice has ended, the admin makes a payment batch of its remaining
-- entries (their ledger entries turn from reserved to paid), exports it as the 拨付清单 for the
-- finance bureau, and marks each payment 已拨付 with its date and voucher number.

CREATE TABLE payment_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id INTEGER NOT NULL REFERENCES calls (id),
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES users (id)
);

CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id INTEGER NOT NULL REFERENCES payment_batches (id),
    application_id INTEGER NOT NULL UNIQUE REFERENCES applications (id),
    amount_fen INTEGER NOT NULL,
    paid_on TEXT,
    voucher TEXT NOT NULL DEFAULT '',
    marked_at TEXT
);
CREATE INDEX payments_batch ON payments (batch_id, id);
