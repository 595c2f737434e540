-- 拨付 (issue 16): after a notice has ended, the admin makes a payment batch of its remaining
-- entries (their ledger entries turn from reserved to paid), exports it as the 拨付清单 for the
-- finance bureau, and marks each payment 已拨付 with its date and voucher number.

CREATE TABLE payment_batches (
    id BIGSERIAL PRIMARY KEY,
    call_id BIGINT NOT NULL REFERENCES calls (id),
    created_at TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id)
);

CREATE TABLE payments (
    id BIGSERIAL PRIMARY KEY,
    batch_id BIGINT NOT NULL REFERENCES payment_batches (id),
    application_id BIGINT NOT NULL UNIQUE REFERENCES applications (id),
    amount_fen BIGINT NOT NULL,
    paid_on TEXT,
    voucher TEXT NOT NULL DEFAULT '',
    marked_at TEXT
);
CREATE INDEX payments_batch ON payments (batch_id, id);
